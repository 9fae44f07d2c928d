#include "core/policy/bundle.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace gatehouse::policy {
namespace {

namespace fs = std::filesystem;

/// FNV-1a 64 over every name and source: a fingerprint to tell bundles apart in reports, not
/// a security digest.
std::string fingerprintOf(const std::vector<PolicyFile>& files) {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) {
            h = (h ^ c) * 1099511628211ull;
        }
        h = (h ^ 0xff) * 1099511628211ull;  // separator: "ab"+"c" differs from "a"+"bc"
    };
    for (const PolicyFile& f : files) {
        mix(f.name);
        mix(f.source);
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

bool inside(const fs::path& root, const fs::path& p) {
    auto r = root.begin();
    auto i = p.begin();
    for (; r != root.end(); ++r, ++i) {
        if (i == p.end() || *r != *i) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string PolicyError::describe() const {
    if (file.empty()) {
        return message;
    }
    if (line > 0) {
        return file + ":" + std::to_string(line) + ": " + message;
    }
    return file + ": " + message;
}

Expected<std::shared_ptr<const PolicyBundle>, PolicyError> PolicyBundle::loadDirectory(
    const std::string& dir, const EngineConfig& config) {
    std::error_code ec;
    fs::path root = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(root)) {
        return unexpected(PolicyError{dir, 0, "not a policy directory"});
    }
    std::vector<PolicyFile> files;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        std::string rel = entry.path().lexically_relative(root).generic_string();
        if (entry.is_symlink()) {
            // A link may point inside the directory; one leading out would let require()
            // read any file on the host.
            fs::path target = fs::canonical(entry.path(), ec);
            if (ec || !inside(root, target)) {
                return unexpected(
                    PolicyError{rel, 0, "symlink leads outside the policy directory"});
            }
            if (fs::is_directory(target)) {
                continue;  // not followed: its files are reached through their real path
            }
        }
        if (!entry.is_regular_file() || entry.path().extension() != ".lua") {
            continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream buf;
        buf << in.rdbuf();
        if (!in) {
            return unexpected(PolicyError{rel, 0, "cannot read"});
        }
        files.push_back(PolicyFile{rel, buf.str()});
    }
    if (ec) {
        return unexpected(PolicyError{dir, 0, "cannot list: " + ec.message()});
    }
    std::sort(files.begin(), files.end(),
              [](const PolicyFile& a, const PolicyFile& b) { return a.name < b.name; });
    auto bundle = fromFiles(std::move(files), config, root.string());
    if (bundle->file(config.entry) == nullptr) {
        return unexpected(PolicyError{config.entry, 0, "entry file missing in " + root.string()});
    }
    return bundle;
}

std::shared_ptr<const PolicyBundle> PolicyBundle::fromFiles(std::vector<PolicyFile> files,
                                                            const EngineConfig& config,
                                                            std::string dir) {
    auto bundle = std::make_shared<PolicyBundle>();
    bundle->dir_ = std::move(dir);
    bundle->config_ = config;
    bundle->files_ = std::move(files);
    bundle->fingerprint_ = fingerprintOf(bundle->files_);
    return bundle;
}

const PolicyFile* PolicyBundle::module(const std::string& dotted_name) const {
    std::string name = dotted_name;
    std::replace(name.begin(), name.end(), '.', '/');
    return file(name + ".lua");
}

const PolicyFile* PolicyBundle::file(const std::string& name) const {
    for (const PolicyFile& f : files_) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

}  // namespace gatehouse::policy
