#include "core/store/spool.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace gatehouse::store {
namespace {

// A fresh directory per test, removed afterwards; the spool lives in its "spool" child so
// open() has to create it.
class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/gh-spool-test-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::string& path() const { return path_; }
    std::string spool() const { return path_ + "/spool"; }
    std::string file(const char* name) const { return spool() + "/" + name; }

  private:
    std::string path_;
};

Bytes readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string& path, std::span<const uint8_t> data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
}

mode_t modeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

AccountingRecord record(int n) {
    AccountingRecord r;
    r.status = n % 2 ? AcctStatus::kInterimUpdate : AcctStatus::kStop;
    r.event_time = 1700000000 + n;
    r.received_at = 1700000001 + n;
    r.session_id = "sess-" + std::to_string(n);
    r.unique_id = "uniq-" + std::to_string(n);
    r.username = "user" + std::to_string(n);
    r.subscriber_id = n;
    r.nas_ip = 0x0a000001;
    r.framed_ip = n % 3 ? std::optional<uint32_t>(0x64400000u + n) : std::nullopt;
    r.input_octets = (uint64_t{1} << 40) + n;
    r.tags = {"t" + std::to_string(n)};
    return r;
}

std::vector<AccountingRecord> batch(int first, int count) {
    std::vector<AccountingRecord> out;
    for (int i = 0; i < count; ++i)
        out.push_back(record(first + i));
    return out;
}

std::unique_ptr<Spool> openOk(const std::string& dir) {
    auto s = Spool::open(dir);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error());
    return s ? std::move(*s) : nullptr;
}

uint64_t appendOk(Spool& spool, const std::vector<AccountingRecord>& records) {
    auto seq = spool.append(records);
    EXPECT_TRUE(seq.has_value()) << (seq ? "" : seq.error());
    return seq ? *seq : 0;
}

SpoolBatch nextOk(Spool& spool) {
    auto b = spool.next();
    EXPECT_TRUE(b.has_value()) << (b ? "" : b.error());
    EXPECT_TRUE(b && b->has_value());
    return b && *b ? **b : SpoolBatch{};
}

TEST(SpoolCrc32c, MatchesTheCheckValue) {
    EXPECT_EQ(crc32c(asBytes("123456789")), 0xE3069283u);
    EXPECT_EQ(crc32c(asBytes("")), 0u);
    EXPECT_EQ(crc32c(asBytes("6789"), crc32c(asBytes("12345"))), 0xE3069283u);
}

TEST(Spool, CreatesItsDirectoryAndFilesForTheOwnerOnly) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    appendOk(*spool, batch(1, 1));
    EXPECT_EQ(modeOf(tmp.spool()), 0700u);
    EXPECT_EQ(modeOf(tmp.file("accounting.spool")), 0600u);
    EXPECT_EQ(modeOf(tmp.file("accounting.checkpoint")), 0600u);
    EXPECT_EQ(modeOf(tmp.file("spool.id")), 0600u);
}

TEST(Spool, KeepsItsRandomIdAcrossReopen) {
    TempDir tmp;
    std::string id;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        id = spool->id();
    }
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    auto again = openOk(tmp.spool());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id(), id);

    TempDir other;
    auto third = openOk(other.spool());
    ASSERT_TRUE(third);
    EXPECT_NE(third->id(), id);
}

TEST(Spool, OpensAnExistingEmptyDirectory) {
    TempDir tmp;
    ASSERT_EQ(::mkdir(tmp.spool().c_str(), 0750), 0);
    auto spool = openOk(tmp.spool() + "/");
    ASSERT_TRUE(spool);
    EXPECT_TRUE(spool->empty());
}

TEST(Spool, CreatesMissingParents) {
    TempDir tmp;
    auto spool = openOk(tmp.path() + "/var/spool");
    ASSERT_TRUE(spool);
    EXPECT_EQ(modeOf(tmp.path() + "/var/spool"), 0700u);
}

TEST(Spool, FailsWhenTheDirectoryCannotBeMade) {
    TempDir tmp;
    const Bytes nothing;
    writeFile(tmp.path() + "/file", nothing);
    auto spool = Spool::open(tmp.path() + "/file/spool");
    ASSERT_FALSE(spool.has_value());
    EXPECT_EQ(spool.error(), "mkdir " + tmp.path() + "/file/spool: Not a directory");
}

TEST(Spool, ReturnsBatchesOldestFirstUntilMarkedReplayed) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_TRUE(spool->empty());
    auto none = spool->next();
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());

    EXPECT_EQ(appendOk(*spool, batch(1, 2)), 1u);
    EXPECT_EQ(appendOk(*spool, batch(3, 1)), 2u);
    EXPECT_EQ(appendOk(*spool, batch(4, 3)), 3u);

    SpoolBatch b = nextOk(*spool);
    EXPECT_EQ(b.seq, 1u);
    EXPECT_EQ(b.records, batch(1, 2));
    EXPECT_EQ(nextOk(*spool).seq, 1u);  // next() alone does not consume
    ASSERT_TRUE(spool->markReplayed(1).has_value());

    b = nextOk(*spool);
    EXPECT_EQ(b.seq, 2u);
    EXPECT_EQ(b.records, batch(3, 1));
    ASSERT_TRUE(spool->markReplayed(2).has_value());

    b = nextOk(*spool);
    EXPECT_EQ(b.seq, 3u);
    EXPECT_EQ(b.records, batch(4, 3));
    ASSERT_TRUE(spool->markReplayed(3).has_value());

    EXPECT_TRUE(spool->empty());
    none = spool->next();
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->has_value());
    EXPECT_EQ(std::filesystem::file_size(tmp.file("accounting.spool")), 0u);
}

TEST(Spool, MarkReplayedAcceptsOnlyTheOldestPendingAndRepeatsAreNoOps) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    appendOk(*spool, batch(1, 1));
    appendOk(*spool, batch(2, 1));
    auto wrong = spool->markReplayed(2);
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error(), "markReplayed(2): the oldest pending frame is 1");
    ASSERT_TRUE(spool->markReplayed(1).has_value());
    ASSERT_TRUE(spool->markReplayed(1).has_value());
    EXPECT_EQ(spool->stats().pending_batches, 1u);
    EXPECT_EQ(nextOk(*spool).seq, 2u);
    auto beyond = spool->markReplayed(9);
    ASSERT_FALSE(beyond.has_value());
    EXPECT_EQ(beyond.error(), "markReplayed(9): the oldest pending frame is 2");
}

TEST(Spool, RefusesAnEmptyBatch) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    auto seq = spool->append({});
    ASSERT_FALSE(seq.has_value());
    EXPECT_EQ(seq.error(), "empty batch");
    EXPECT_EQ(spool->stats().file_bytes, 0u);
}

TEST(Spool, RefusesABatchOver64MiB) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    std::vector<AccountingRecord> big = batch(1, 1);
    big[0].username.assign(64u << 20, 'x');
    auto seq = spool->append(big);
    ASSERT_FALSE(seq.has_value());
    EXPECT_NE(seq.error().find("over the 64 MiB frame limit"), std::string::npos) << seq.error();
    EXPECT_EQ(spool->stats().file_bytes, 0u);
    EXPECT_EQ(std::filesystem::file_size(tmp.file("accounting.spool")), 0u);
    EXPECT_EQ(appendOk(*spool, batch(1, 1)), 1u);  // the refused batch used no seq
}

TEST(Spool, ReopenRestoresPendingBatches) {
    TempDir tmp;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 2));
        appendOk(*spool, batch(3, 4));
    }
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_EQ(spool->stats().pending_batches, 2u);
    EXPECT_EQ(spool->stats().pending_records, 6u);
    EXPECT_EQ(spool->stats().torn_tail_bytes, 0u);
    SpoolBatch b = nextOk(*spool);
    EXPECT_EQ(b.seq, 1u);
    EXPECT_EQ(b.records, batch(1, 2));
    ASSERT_TRUE(spool->markReplayed(1).has_value());
    b = nextOk(*spool);
    EXPECT_EQ(b.seq, 2u);
    EXPECT_EQ(b.records, batch(3, 4));
    EXPECT_EQ(appendOk(*spool, batch(7, 1)), 3u);
}

TEST(Spool, ReopenSkipsBatchesAlreadyReplayed) {
    TempDir tmp;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 1));
        appendOk(*spool, batch(2, 1));
        appendOk(*spool, batch(3, 1));
        ASSERT_TRUE(spool->markReplayed(1).has_value());
        ASSERT_TRUE(spool->markReplayed(2).has_value());
    }
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_EQ(spool->stats().pending_batches, 1u);
    EXPECT_EQ(spool->stats().pending_records, 1u);
    SpoolBatch b = nextOk(*spool);
    EXPECT_EQ(b.seq, 3u);
    EXPECT_EQ(b.records, batch(3, 1));
}

TEST(Spool, SeqStaysMonotonicAcrossTruncationAndReopen) {
    TempDir tmp;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        EXPECT_EQ(appendOk(*spool, batch(1, 1)), 1u);
        EXPECT_EQ(appendOk(*spool, batch(2, 1)), 2u);
        ASSERT_TRUE(spool->markReplayed(1).has_value());
        ASSERT_TRUE(spool->markReplayed(2).has_value());
        EXPECT_EQ(spool->stats().file_bytes, 0u);
        EXPECT_EQ(appendOk(*spool, batch(3, 1)), 3u);
    }
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        EXPECT_EQ(nextOk(*spool).seq, 3u);
        ASSERT_TRUE(spool->markReplayed(3).has_value());
    }
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_TRUE(spool->empty());
    EXPECT_EQ(appendOk(*spool, batch(4, 1)), 4u);
}

// A crash after the checkpoint was renamed but before the file was truncated.
TEST(Spool, OpenTruncatesAFileWhoseFramesAreAllReplayed) {
    TempDir tmp;
    Bytes frames;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 1));
        appendOk(*spool, batch(2, 1));
        frames = readFile(tmp.file("accounting.spool"));
        ASSERT_TRUE(spool->markReplayed(1).has_value());
        ASSERT_TRUE(spool->markReplayed(2).has_value());
    }
    writeFile(tmp.file("accounting.spool"), frames);
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_TRUE(spool->empty());
    EXPECT_EQ(spool->stats().file_bytes, 0u);
    EXPECT_EQ(spool->stats().torn_tail_bytes, 0u);
    EXPECT_EQ(std::filesystem::file_size(tmp.file("accounting.spool")), 0u);
    EXPECT_EQ(appendOk(*spool, batch(3, 1)), 3u);
}

TEST(Spool, CutsATornTailAtEveryOffsetInsideTheLastFrame) {
    TempDir tmp;
    Bytes full;
    uint64_t first_frame = 0;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 2));
        first_frame = spool->stats().file_bytes;
        appendOk(*spool, batch(3, 1));
        full = readFile(tmp.file("accounting.spool"));
    }
    ASSERT_GT(full.size(), first_frame);
    for (size_t cut = first_frame + 1; cut < full.size(); ++cut) {
        writeFile(tmp.file("accounting.spool"), std::span(full.data(), cut));
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool) << "cut at " << cut;
        EXPECT_EQ(spool->stats().torn_tail_bytes, cut - first_frame) << cut;
        EXPECT_EQ(spool->stats().file_bytes, first_frame) << cut;
        EXPECT_EQ(spool->stats().pending_batches, 1u) << cut;
        EXPECT_EQ(spool->stats().pending_records, 2u) << cut;
        EXPECT_EQ(std::filesystem::file_size(tmp.file("accounting.spool")), first_frame) << cut;
        SpoolBatch b = nextOk(*spool);
        EXPECT_EQ(b.seq, 1u);
        EXPECT_EQ(b.records, batch(1, 2));
        // The torn frame was never acknowledged, so its seq is free again.
        EXPECT_EQ(appendOk(*spool, batch(9, 1)), 2u) << cut;
        spool.reset();
        auto again = openOk(tmp.spool());
        ASSERT_TRUE(again);
        EXPECT_EQ(again->stats().torn_tail_bytes, 0u);
        EXPECT_EQ(again->stats().pending_batches, 2u);
    }
}

TEST(Spool, CutsATornOnlyFrame) {
    TempDir tmp;
    Bytes full;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 1));
        full = readFile(tmp.file("accounting.spool"));
    }
    for (size_t cut = 1; cut < full.size(); ++cut) {
        writeFile(tmp.file("accounting.spool"), std::span(full.data(), cut));
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool) << "cut at " << cut;
        EXPECT_TRUE(spool->empty());
        EXPECT_EQ(spool->stats().torn_tail_bytes, cut);
        EXPECT_EQ(spool->stats().file_bytes, 0u);
    }
}

TEST(Spool, TreatsAFlippedCrcBitInTheLastFrameAsATornTail) {
    TempDir tmp;
    Bytes full;
    uint64_t first_frame = 0;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 1));
        first_frame = spool->stats().file_bytes;
        appendOk(*spool, batch(2, 1));
        full = readFile(tmp.file("accounting.spool"));
    }
    full[first_frame + 8] ^= 0x10;  // the CRC field of the last frame
    writeFile(tmp.file("accounting.spool"), full);
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_EQ(spool->stats().torn_tail_bytes, full.size() - first_frame);
    EXPECT_EQ(spool->stats().pending_batches, 1u);
    EXPECT_EQ(nextOk(*spool).seq, 1u);
}

TEST(Spool, RefusesToOpenWithACorruptFrameBeforeValidOnes) {
    TempDir tmp;
    Bytes full;
    uint64_t first_frame = 0;
    uint64_t two_frames = 0;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 1));
        first_frame = spool->stats().file_bytes;
        appendOk(*spool, batch(2, 1));
        two_frames = spool->stats().file_bytes;
        appendOk(*spool, batch(3, 1));
        full = readFile(tmp.file("accounting.spool"));
    }
    const std::string where = "corrupt frame at offset " + std::to_string(first_frame);
    const std::string valid = "valid frame at offset " + std::to_string(two_frames);
    struct Damage {
        const char* what;
        size_t at;
        uint8_t mask;
    };
    for (Damage d : {Damage{"payload", 30, 0x01}, Damage{"magic", 0, 0x20},
                     Damage{"length", 7, 0x40}, Damage{"seq", 12, 0x02}}) {
        Bytes damaged = full;
        damaged[first_frame + d.at] ^= d.mask;
        writeFile(tmp.file("accounting.spool"), damaged);
        auto spool = Spool::open(tmp.spool());
        ASSERT_FALSE(spool.has_value()) << d.what;
        EXPECT_NE(spool.error().find(where), std::string::npos) << d.what << ": " << spool.error();
        EXPECT_NE(spool.error().find(valid), std::string::npos) << d.what << ": " << spool.error();
        EXPECT_EQ(readFile(tmp.file("accounting.spool")), damaged) << "open() changed the file";
    }
}

TEST(Spool, NextReportsDamageDoneAfterOpen) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    appendOk(*spool, batch(1, 1));
    Bytes bytes = readFile(tmp.file("accounting.spool"));
    bytes[25] ^= 0x01;
    writeFile(tmp.file("accounting.spool"), bytes);
    auto b = spool->next();
    ASSERT_FALSE(b.has_value());
    EXPECT_NE(b.error().find("offset 0: CRC mismatch"), std::string::npos) << b.error();
}

TEST(Spool, RefusesASecondOpenOfTheSameDirectory) {
    TempDir tmp;
    auto first = openOk(tmp.spool());
    ASSERT_TRUE(first);
    auto second = Spool::open(tmp.spool());
    ASSERT_FALSE(second.has_value());
    EXPECT_NE(second.error().find("in use by another process"), std::string::npos)
        << second.error();
    first.reset();
    EXPECT_TRUE(openOk(tmp.spool()));
}

TEST(Spool, RefusesANewIdWhileBatchesArePending) {
    TempDir tmp;
    {
        auto spool = openOk(tmp.spool());
        ASSERT_TRUE(spool);
        appendOk(*spool, batch(1, 1));
    }
    std::filesystem::remove(tmp.file("spool.id"));
    auto spool = Spool::open(tmp.spool());
    ASSERT_FALSE(spool.has_value());
    EXPECT_NE(spool.error().find("spool.id is missing but 1 batches are pending"),
              std::string::npos)
        << spool.error();
}

TEST(Spool, RefusesADamagedCheckpoint) {
    TempDir tmp;
    { ASSERT_TRUE(openOk(tmp.spool())); }
    const Bytes junk = {'x', 'y', '\n'};
    writeFile(tmp.file("accounting.checkpoint"), junk);
    auto spool = Spool::open(tmp.spool());
    ASSERT_FALSE(spool.has_value());
    EXPECT_EQ(spool.error(),
              tmp.file("accounting.checkpoint") + ": not a version 1 spool checkpoint");
}

TEST(Spool, StatsCountPendingBatchesRecordsAndBytes) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    EXPECT_EQ(spool->stats().pending_batches, 0u);
    EXPECT_EQ(spool->stats().file_bytes, 0u);
    appendOk(*spool, batch(1, 3));
    const uint64_t one = spool->stats().file_bytes;
    EXPECT_GT(one, 20u);
    appendOk(*spool, batch(4, 2));
    EXPECT_EQ(spool->stats().pending_batches, 2u);
    EXPECT_EQ(spool->stats().pending_records, 5u);
    EXPECT_EQ(spool->stats().file_bytes, std::filesystem::file_size(tmp.file("accounting.spool")));
    ASSERT_TRUE(spool->markReplayed(1).has_value());
    EXPECT_EQ(spool->stats().pending_batches, 1u);
    EXPECT_EQ(spool->stats().pending_records, 2u);
    EXPECT_GT(spool->stats().file_bytes, one);  // the file is cut only once drained
    ASSERT_TRUE(spool->markReplayed(2).has_value());
    EXPECT_EQ(spool->stats().pending_batches, 0u);
    EXPECT_EQ(spool->stats().pending_records, 0u);
    EXPECT_EQ(spool->stats().file_bytes, 0u);
    EXPECT_EQ(spool->stats().torn_tail_bytes, 0u);
}

// RLIMIT_FSIZE makes the write stop part-way through the frame, as a full disk would.
TEST(Spool, AFailedAppendLeavesTheFileAsItWas) {
    TempDir tmp;
    auto spool = openOk(tmp.spool());
    ASSERT_TRUE(spool);
    appendOk(*spool, batch(1, 1));
    const Bytes before = readFile(tmp.file("accounting.spool"));

    struct rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    struct rlimit tight = saved;
    tight.rlim_cur = before.size() + 30;
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tight), 0);
    auto seq = spool->append(batch(2, 1));
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);

    ASSERT_FALSE(seq.has_value());
    EXPECT_NE(seq.error().find("write " + tmp.file("accounting.spool")), std::string::npos)
        << seq.error();
    EXPECT_EQ(readFile(tmp.file("accounting.spool")), before);
    EXPECT_EQ(spool->stats().file_bytes, before.size());
    EXPECT_EQ(spool->stats().pending_batches, 1u);

    EXPECT_EQ(appendOk(*spool, batch(2, 1)), 2u);
    spool.reset();
    auto again = openOk(tmp.spool());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->stats().pending_batches, 2u);
    EXPECT_EQ(again->stats().torn_tail_bytes, 0u);
}

}  // namespace
}  // namespace gatehouse::store
