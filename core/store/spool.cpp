#include "core/store/spool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string_view>

namespace gatehouse::store {
namespace {

constexpr char kMagic[4] = {'G', 'H', 'S', 'P'};
// magic(4) | payload length(4) | CRC-32C(4) | seq(8); the CRC covers seq and payload, which
// are contiguous from offset 12.
constexpr size_t kHeaderSize = 20;
constexpr size_t kCrcFrom = 12;
constexpr uint64_t kMaxPayload = 64ull << 20;
constexpr const char* kSpoolFile = "accounting.spool";
constexpr const char* kCheckpointFile = "accounting.checkpoint";
constexpr const char* kIdFile = "spool.id";
constexpr std::string_view kCheckpointTag = "gatehouse-spool-checkpoint";

constexpr std::array<uint32_t, 256> kCrcTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected Castagnoli polynomial
        table[i] = c;
    }
    return table;
}();

uint32_t loadLe32(const uint8_t* p) {
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
uint64_t loadLe64(const uint8_t* p) {
    return uint64_t{loadLe32(p)} | uint64_t{loadLe32(p + 4)} << 32;
}
void storeLe(uint8_t* p, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string sysError(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

Expected<void, std::string> writeAll(int fd, std::span<const uint8_t> data, uint64_t offset,
                                     const std::string& path) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n =
            ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return unexpected(sysError("write " + path));
        }
        if (n == 0) {
            errno = EIO;
            return unexpected(sysError("write " + path));
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

Expected<void, std::string> readAll(int fd, uint8_t* buf, size_t len, uint64_t offset,
                                    const std::string& path) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return unexpected(sysError("read " + path));
        }
        if (n == 0)
            return unexpected("read " + path + ": unexpected end of file at offset " +
                              std::to_string(offset + done));
        done += static_cast<size_t>(n);
    }
    return {};
}

/// The file's content, or nullopt when it does not exist. Only for the small files.
Expected<std::optional<std::string>, std::string> readSmallFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::optional<std::string>();
        return unexpected(sysError("open " + path));
    }
    std::string content;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            std::string e = sysError("read " + path);
            ::close(fd);
            return unexpected(e);
        }
        if (n == 0)
            break;
        content.append(buf, static_cast<size_t>(n));
        if (content.size() > 4096) {
            ::close(fd);
            return unexpected(path + ": larger than 4096 bytes, not a spool file");
        }
    }
    ::close(fd);
    return std::optional<std::string>(std::move(content));
}

/// Replaces dir/name atomically and durably: a crash leaves either the old or the new content.
Expected<void, std::string> writeFileAtomic(const std::string& dir, int dir_fd,
                                            const std::string& name, std::string_view content) {
    std::string path = dir + "/" + name;
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return unexpected(sysError("create " + tmp));
    auto fail = [&](std::string e) -> Expected<void, std::string> {
        ::close(fd);
        ::unlink(tmp.c_str());
        return unexpected(std::move(e));
    };
    if (::fchmod(fd, 0600) != 0)
        return fail(sysError("chmod " + tmp));
    auto w = writeAll(fd, asBytes(content), 0, tmp);
    if (!w)
        return fail(w.error());
    if (::fsync(fd) != 0)
        return fail(sysError("fsync " + tmp));
    if (::close(fd) != 0) {
        std::string e = sysError("close " + tmp);
        ::unlink(tmp.c_str());
        return unexpected(e);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string e = sysError("rename " + tmp);
        ::unlink(tmp.c_str());
        return unexpected(e);
    }
    // The rename is durable only once the directory is.
    if (::fsync(dir_fd) != 0)
        return unexpected(sysError("fsync " + dir));
    return {};
}

Expected<std::string, std::string> randomId() {
    uint8_t raw[16];
    size_t done = 0;
    while (done < sizeof raw) {
        ssize_t n = ::getrandom(raw + done, sizeof raw - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return unexpected(sysError("getrandom"));
        }
        done += static_cast<size_t>(n);
    }
    return toHex(raw);
}

bool isSpoolId(std::string_view s) {
    return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

bool parseU64(const std::string& s, uint64_t& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size();
}

struct Checkpoint {
    uint64_t replayed_through = 0;
    uint64_t next_seq = 0;
};

Expected<Checkpoint, std::string> parseCheckpoint(const std::string& text,
                                                  const std::string& path) {
    std::istringstream in(text);
    std::string tag, version, k1, v1, k2, v2, extra;
    Checkpoint cp;
    if (!(in >> tag >> version >> k1 >> v1 >> k2 >> v2) || (in >> extra) || tag != kCheckpointTag ||
        version != "1" || k1 != "replayed_through" || k2 != "next_seq" ||
        !parseU64(v1, cp.replayed_through) || !parseU64(v2, cp.next_seq)) {
        return unexpected(path + ": not a version 1 spool checkpoint");
    }
    if (cp.next_seq <= cp.replayed_through)
        return unexpected(path + ": next_seq " + std::to_string(cp.next_seq) +
                          " is not after replayed_through " + std::to_string(cp.replayed_through));
    return cp;
}

struct FrameInfo {
    uint64_t seq = 0;
    uint32_t payload_len = 0;
    uint32_t record_count = 0;
};

/// Validates the frame at `off` of a mapped file of `size` bytes; an error says what is wrong.
Expected<FrameInfo, std::string> checkFrame(const uint8_t* data, uint64_t size, uint64_t off) {
    if (size - off < kHeaderSize)
        return unexpected("incomplete header (" + std::to_string(size - off) + " bytes)");
    const uint8_t* p = data + off;
    if (std::memcmp(p, kMagic, sizeof kMagic) != 0)
        return unexpected(std::string("bad magic"));
    FrameInfo f;
    f.payload_len = loadLe32(p + 4);
    if (f.payload_len < 4 || f.payload_len > kMaxPayload)
        return unexpected("bad payload length " + std::to_string(f.payload_len));
    if (f.payload_len > size - off - kHeaderSize)
        return unexpected("incomplete payload (" + std::to_string(size - off - kHeaderSize) +
                          " of " + std::to_string(f.payload_len) + " bytes)");
    if (crc32c({p + kCrcFrom, kHeaderSize - kCrcFrom + f.payload_len}) != loadLe32(p + 8))
        return unexpected(std::string("CRC mismatch"));
    f.seq = loadLe64(p + 12);
    f.record_count = loadLe32(p + kHeaderSize);
    return f;
}

/// Offset of the first valid frame after `from`, if any: what tells a torn tail (nothing
/// valid follows) from damage in the middle of acknowledged data.
std::optional<uint64_t> findValidFrame(const uint8_t* data, uint64_t size, uint64_t from) {
    const uint8_t* end = data + size;
    const uint8_t* p = data + from;
    while (static_cast<uint64_t>(end - p) >= kHeaderSize) {
        p = static_cast<const uint8_t*>(::memmem(p, static_cast<size_t>(end - p), kMagic, 4));
        if (p == nullptr)
            return std::nullopt;
        uint64_t off = static_cast<uint64_t>(p - data);
        if (checkFrame(data, size, off))
            return off;
        ++p;
    }
    return std::nullopt;
}

}  // namespace

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc) {
    crc = ~crc;
    for (uint8_t b : data)
        crc = kCrcTable[(crc ^ b) & 0xff] ^ (crc >> 8);
    return ~crc;
}

Expected<std::unique_ptr<Spool>, std::string> Spool::open(const std::string& dir) {
    std::unique_ptr<Spool> s(new Spool());
    s->dir_ = dir;
    while (s->dir_.size() > 1 && s->dir_.back() == '/')
        s->dir_.pop_back();
    const std::string& d = s->dir_;

    const size_t slash = d.find_last_of('/');
    const std::string parent = slash == std::string::npos ? "."
                               : slash == 0               ? "/"
                                                          : d.substr(0, slash);
    // A fresh install may lack var/ itself: parents get ordinary modes, the spool 0700.
    std::error_code ec;
    if (!std::filesystem::exists(parent, ec)) {
        std::filesystem::create_directories(parent, ec);
        if (ec)
            return unexpected("mkdir " + parent + ": " + ec.message());
    }
    bool made_dir = ::mkdir(d.c_str(), 0700) == 0;
    if (!made_dir && errno != EEXIST)
        return unexpected(sysError("mkdir " + d));
    s->dir_fd_ = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd_ < 0)
        return unexpected(sysError("open " + d));
    if (made_dir) {
        // The new directory's own entry is durable only once its parent is fsync'd.
        int pfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
            return unexpected(sysError("open " + parent));
        int rc = ::fsync(pfd);
        ::close(pfd);
        if (rc != 0)
            return unexpected(sysError("fsync " + parent));
    }

    std::string spool_path = d + "/" + kSpoolFile;
    bool created = false;
    s->fd_ = ::open(spool_path.c_str(), O_RDWR | O_CLOEXEC);
    if (s->fd_ < 0 && errno == ENOENT) {
        s->fd_ = ::open(spool_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        created = s->fd_ >= 0;
    }
    if (s->fd_ < 0)
        return unexpected(sysError("open " + spool_path));
    // Two servers appending to one spool would interleave frames: the second one is refused.
    if (::flock(s->fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return unexpected(spool_path + ": in use by another process");
        return unexpected(sysError("lock " + spool_path));
    }
    // Accounting names subscribers and their MACs: for the server's user only.
    if (::fchmod(s->fd_, 0600) != 0)
        return unexpected(sysError("chmod " + spool_path));
    if (created && ::fsync(s->dir_fd_) != 0)
        return unexpected(sysError("fsync " + d));

    std::string checkpoint_path = d + "/" + kCheckpointFile;
    auto checkpoint_text = readSmallFile(checkpoint_path);
    if (!checkpoint_text)
        return unexpected(checkpoint_text.error());
    if (*checkpoint_text) {
        auto cp = parseCheckpoint(**checkpoint_text, checkpoint_path);
        if (!cp)
            return unexpected(cp.error());
        s->replayed_through_ = cp->replayed_through;
        s->next_seq_ = cp->next_seq;
        s->checkpoint_next_seq_ = cp->next_seq;
    }

    auto scanned = s->scan();
    if (!scanned)
        return unexpected(scanned.error());

    std::string id_path = d + "/" + kIdFile;
    auto id_text = readSmallFile(id_path);
    if (!id_text)
        return unexpected(id_text.error());
    if (*id_text) {
        std::string id = **id_text;
        while (!id.empty() && (id.back() == '\n' || id.back() == '\r'))
            id.pop_back();
        if (!isSpoolId(id))
            return unexpected(id_path + ": not 32 lowercase hex digits");
        s->id_ = id;
    } else if (s->stats_.pending_batches > 0) {
        // The database knows the pending batches' siblings by (old id, seq): under a new id a
        // batch applied just before a crash would be applied again.
        return unexpected(id_path + " is missing but " + std::to_string(s->stats_.pending_batches) +
                          " batches are pending: restore it from a backup");
    } else {
        auto id = randomId();
        if (!id)
            return unexpected(id.error());
        auto w = writeFileAtomic(d, s->dir_fd_, kIdFile, *id + "\n");
        if (!w)
            return unexpected(w.error());
        s->id_ = *id;
    }

    if (s->checkpoint_next_seq_ == 0) {
        auto w = s->writeCheckpoint(s->replayed_through_);
        if (!w)
            return unexpected(w.error());
    }
    if (s->stats_.pending_batches == 0) {
        auto t = s->truncateDrained();
        if (!t)
            return unexpected(t.error());
    }
    return s;
}

Spool::~Spool() {
    if (fd_ >= 0)
        ::close(fd_);
    if (dir_fd_ >= 0)
        ::close(dir_fd_);
}

Expected<void, std::string> Spool::scan() {
    const std::string path = dir_ + "/" + kSpoolFile;
    struct stat st;
    if (::fstat(fd_, &st) != 0)
        return unexpected(sysError("stat " + path));
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t off = 0;
    uint64_t last_seq = 0;
    bool found_pending = false;
    if (size > 0) {
        void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (map == MAP_FAILED)
            return unexpected(sysError("mmap " + path));
        const auto* data = static_cast<const uint8_t*>(map);
        std::string error;
        while (off < size) {
            auto frame = checkFrame(data, size, off);
            if (!frame) {
                if (auto valid = findValidFrame(data, size, off + 1)) {
                    error =
                        path + ": corrupt frame at offset " + std::to_string(off) + " (" +
                        frame.error() + ") is followed by a valid frame at offset " +
                        std::to_string(*valid) +
                        "; refusing to drop acknowledged batches (see docs/accounting-spool.md)";
                }
                break;  // nothing valid follows: a torn tail, cut off below
            }
            if (frame->seq <= last_seq) {
                error = path + ": frame at offset " + std::to_string(off) + " has seq " +
                        std::to_string(frame->seq) + ", not after " + std::to_string(last_seq);
                break;
            }
            last_seq = frame->seq;
            if (frame->seq > replayed_through_) {
                if (!found_pending) {
                    read_offset_ = off;
                    found_pending = true;
                }
                ++stats_.pending_batches;
                stats_.pending_records += frame->record_count;
            }
            off += kHeaderSize + frame->payload_len;
        }
        ::munmap(map, size);
        if (!error.empty())
            return unexpected(error);
    }
    if (off < size) {
        // A crash during append(): that frame was never acknowledged, so cutting it loses
        // nothing, and the next append must not land after garbage.
        if (::ftruncate(fd_, static_cast<off_t>(off)) != 0)
            return unexpected(sysError("truncate " + path));
        if (::fsync(fd_) != 0)
            return unexpected(sysError("fsync " + path));
        stats_.torn_tail_bytes = size - off;
    }
    stats_.file_bytes = off;
    if (!found_pending)
        read_offset_ = off;
    next_seq_ = std::max({next_seq_, replayed_through_ + 1, last_seq + 1});
    return {};
}

Expected<void, std::string> Spool::writeCheckpoint(uint64_t replayed_through) {
    std::string text = std::string(kCheckpointTag) + " 1\nreplayed_through " +
                       std::to_string(replayed_through) + "\nnext_seq " +
                       std::to_string(next_seq_) + "\n";
    auto w = writeFileAtomic(dir_, dir_fd_, kCheckpointFile, text);
    if (!w)
        return w;
    checkpoint_next_seq_ = next_seq_;
    return {};
}

Expected<void, std::string> Spool::truncateDrained() {
    if (stats_.file_bytes == 0 && broken_.empty())
        return {};
    // Sequence numbers must not restart after the frames that carried them are gone.
    if (checkpoint_next_seq_ != next_seq_) {
        auto w = writeCheckpoint(replayed_through_);
        if (!w)
            return w;
    }
    const std::string path = dir_ + "/" + kSpoolFile;
    if (::ftruncate(fd_, 0) != 0)
        return unexpected(sysError("truncate " + path));
    if (::fsync(fd_) != 0)
        return unexpected(sysError("fsync " + path));
    stats_.file_bytes = 0;
    read_offset_ = 0;
    broken_.clear();
    return {};
}

Expected<uint64_t, std::string> Spool::append(std::span<const AccountingRecord> records) {
    const std::string path = dir_ + "/" + kSpoolFile;
    const uint64_t old_size = stats_.file_bytes;
    if (!broken_.empty()) {
        // A partial frame from an earlier failure is still there: no frame may follow it.
        if (::ftruncate(fd_, static_cast<off_t>(old_size)) != 0 || ::fdatasync(fd_) != 0)
            return unexpected(broken_);
        broken_.clear();
    }
    if (records.empty())
        return unexpected(std::string("empty batch"));
    Bytes frame(kHeaderSize + 4);
    storeLe(frame.data() + kHeaderSize, records.size(), 4);
    for (const AccountingRecord& r : records)
        serialize(r, frame);
    const uint64_t payload_len = frame.size() - kHeaderSize;
    if (payload_len > kMaxPayload)
        return unexpected("batch of " + std::to_string(records.size()) + " records is " +
                          std::to_string(payload_len) + " bytes, over the 64 MiB frame limit");
    const uint64_t seq = next_seq_;
    std::memcpy(frame.data(), kMagic, sizeof kMagic);
    storeLe(frame.data() + 4, payload_len, 4);
    storeLe(frame.data() + 12, seq, 8);
    storeLe(frame.data() + 8, crc32c({frame.data() + kCrcFrom, frame.size() - kCrcFrom}), 4);

    auto written = writeAll(fd_, frame, old_size, path);
    if (written && ::fdatasync(fd_) != 0)
        written = unexpected(sysError("fdatasync " + path));
    if (!written) {
        // Leave no partial frame behind: the caller will not acknowledge this batch, and a
        // later frame must not follow garbage.
        if (::ftruncate(fd_, static_cast<off_t>(old_size)) != 0 || ::fdatasync(fd_) != 0) {
            broken_ = written.error() + "; then rolling back failed (" + sysError("truncate") +
                      "); no append until that succeeds";
            return unexpected(broken_);
        }
        return unexpected(written.error());
    }

    if (stats_.pending_batches == 0)
        read_offset_ = old_size;
    ++next_seq_;
    ++stats_.pending_batches;
    stats_.pending_records += records.size();
    stats_.file_bytes += frame.size();
    return seq;
}

Expected<std::optional<SpoolBatch>, std::string> Spool::next() {
    if (stats_.pending_batches == 0)
        return std::optional<SpoolBatch>();
    const std::string path = dir_ + "/" + kSpoolFile;
    const std::string where = path + " offset " + std::to_string(read_offset_);
    if (stats_.file_bytes - read_offset_ < kHeaderSize)
        return unexpected(where + ": frame header beyond end of file");
    Bytes frame(kHeaderSize);
    auto r = readAll(fd_, frame.data(), kHeaderSize, read_offset_, path);
    if (!r)
        return unexpected(r.error());
    const uint32_t len = loadLe32(frame.data() + 4);
    if (std::memcmp(frame.data(), kMagic, sizeof kMagic) != 0 || len < 4 || len > kMaxPayload ||
        len > stats_.file_bytes - read_offset_ - kHeaderSize)
        return unexpected(where + ": bad frame header");
    frame.resize(kHeaderSize + len);
    r = readAll(fd_, frame.data() + kHeaderSize, len, read_offset_ + kHeaderSize, path);
    if (!r)
        return unexpected(r.error());
    // Checked again: the file may have been damaged since open() scanned it.
    if (crc32c({frame.data() + kCrcFrom, frame.size() - kCrcFrom}) != loadLe32(frame.data() + 8))
        return unexpected(where + ": CRC mismatch");

    SpoolBatch batch;
    batch.seq = loadLe64(frame.data() + 12);
    std::span<const uint8_t> in(frame.data() + kHeaderSize + 4, len - 4);
    const uint32_t count = loadLe32(frame.data() + kHeaderSize);
    batch.records.reserve(std::min<size_t>(count, in.size()));
    for (uint32_t i = 0; i < count; ++i) {
        auto rec = deserialize(in);
        if (!rec)
            return unexpected(where + " (seq " + std::to_string(batch.seq) + ") record " +
                              std::to_string(i) + ": " + rec.error());
        batch.records.push_back(std::move(*rec));
    }
    if (!in.empty())
        return unexpected(where + " (seq " + std::to_string(batch.seq) +
                          "): " + std::to_string(in.size()) + " bytes after the last record");
    return std::optional<SpoolBatch>(std::move(batch));
}

Expected<void, std::string> Spool::markReplayed(uint64_t seq) {
    // Allowed after a failed rollback too: replay must go on, and draining the file to zero
    // also removes the partial frame that made the spool unusable.
    if (seq <= replayed_through_)
        return {};  // already recorded: a retry after an error is harmless
    if (stats_.pending_batches == 0)
        return unexpected("markReplayed(" + std::to_string(seq) + "): no frame is pending");
    const std::string path = dir_ + "/" + kSpoolFile;
    uint8_t head[kHeaderSize + 4];
    if (stats_.file_bytes - read_offset_ < sizeof head)
        return unexpected(path + " offset " + std::to_string(read_offset_) +
                          ": frame header beyond end of file");
    auto r = readAll(fd_, head, sizeof head, read_offset_, path);
    if (!r)
        return r;
    const uint64_t oldest = loadLe64(head + 12);
    if (seq != oldest)
        return unexpected("markReplayed(" + std::to_string(seq) +
                          "): the oldest pending frame is " + std::to_string(oldest));
    auto w = writeCheckpoint(seq);
    if (!w)
        return w;
    replayed_through_ = seq;
    read_offset_ += kHeaderSize + loadLe32(head + 4);
    --stats_.pending_batches;
    stats_.pending_records -= loadLe32(head + kHeaderSize);
    if (stats_.pending_batches == 0)
        return truncateDrained();
    return {};
}

}  // namespace gatehouse::store
