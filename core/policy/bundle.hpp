#pragma once
// A policy bundle: the Lua sources of a policy directory (default.lua, lib/, vendors/, and
// their *.test.lua), read once and immutable. Workers share it; each compiles it in its own VM.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/util/expected.hpp"

namespace gatehouse::policy {

struct PolicyError {
    std::string file;  // "vendors/mikrotik.lua" (relative to the policy directory)
    int line = 0;      // 0 when not known
    std::string message;
    std::string describe() const;  // "vendors/mikrotik.lua:12: attempt to index a nil value"
};

struct EngineConfig {
    uint64_t max_instructions = 1000000;  // per call; the count hook ends runaway scripts
    bool jit = false;  // JIT on: faster, but the budget is best-effort (hook misses JIT loops)
    bool allow_ffi = false;
    bool allow_debug = false;
    /// Bytes one VM may hold while policy code runs (a policy that allocates past it fails
    /// that call with "memory limit exceeded"); 0: no cap.
    size_t max_memory_bytes = 64u << 20;
    std::string entry = "default.lua";
};

struct PolicyFile {
    std::string name;  // path relative to the directory, '/' separated: "vendors/mikrotik.lua"
    std::string source;
    bool is_test() const { return name.ends_with(".test.lua"); }
};

class PolicyBundle {
  public:
    /// Reads every *.lua under `dir` (symlinks and files outside it refused); fails when the
    /// entry file is missing. Compiles nothing: see PolicyHost.
    static Expected<std::shared_ptr<const PolicyBundle>, PolicyError> loadDirectory(
        const std::string& dir, const EngineConfig& config);
    /// For tests and the canary: a bundle from sources in memory.
    static std::shared_ptr<const PolicyBundle> fromFiles(std::vector<PolicyFile> files,
                                                         const EngineConfig& config,
                                                         std::string dir = "<memory>");

    const std::string& directory() const { return dir_; }
    const EngineConfig& config() const { return config_; }
    const std::vector<PolicyFile>& files() const { return files_; }
    /// The file of module "vendors.mikrotik" / "lib.fup" / "default", or nullptr.
    const PolicyFile* module(const std::string& dotted_name) const;
    const PolicyFile* file(const std::string& name) const;
    /// A digest of every file, shown in reload reports and the panel.
    const std::string& fingerprint() const { return fingerprint_; }

  private:
    std::string dir_;
    EngineConfig config_;
    std::vector<PolicyFile> files_;
    std::string fingerprint_;
};

}  // namespace gatehouse::policy
