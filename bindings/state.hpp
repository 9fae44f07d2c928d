#pragma once
// The per-VM state every bridge function reaches through its first upvalue: which entry point
// is running, the call generation that keeps stashed objects dead, the request's time and
// settings, and where a decision goes. One per lua_State; only its owning thread touches it.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/policy/decision.hpp"
#include "core/policy/model.hpp"
#include "core/radius/dictionary.hpp"

struct lua_State;

namespace gatehouse::bindings {

enum class Entry : uint8_t { kNone, kLoad, kAuthorize, kAccounting, kFup, kCoaForTier, kTest };
const char* entryName(Entry e);  // "authorize", "accounting", ... ("top level" for kLoad)

enum class LogLevel : uint8_t { kInfo, kWarn };

/// Where log.info/log.warn lines go; the server replaces the stderr default with its logger.
class LogSink {
  public:
    virtual ~LogSink() = default;
    /// `where` is the policy file:line ("vendors/mikrotik.lua:12").
    virtual void write(LogLevel level, std::string_view where, std::string_view message) = 0;
};

/// The default sink: stderr, at most kBurst lines per second per VM, the rest counted.
class StderrLogSink : public LogSink {
  public:
    static constexpr int kBurst = 20;
    void write(LogLevel level, std::string_view where, std::string_view message) override;
    uint64_t dropped() const { return dropped_; }

  private:
    int64_t window_ = 0;
    int in_window_ = 0;
    uint64_t dropped_ = 0;
    uint64_t dropped_in_window_ = 0;
};

class TestArena;  // testing.hpp

/// Strings the bridge sets on every call, interned once per VM: pushing one is a registry read
/// instead of hashing a C string (lua_setfield) each time.
enum Key : uint8_t {
    kKeyDecision,
    kKeyReason,
    kKeyReply,
    kKeyIp,
    kKeySessionTimeout,
    kKeyIdleTimeout,
    kKeyTier,
    kKeyMschapError,
    kKeyTags,
    kValueAccept,
    kValueReject,
    kValueRecord,
    kValueDiscard,
    kKeyCount
};

/// The objects whose __index looks fields up by name (VmState::field_names).
enum FieldSet : uint8_t {
    kFieldsRequest,
    kFieldsSubscriber,
    kFieldsService,
    kFieldsTier,
    kFieldsUsage,
    kFieldsNas,
    kFieldsSettings,
    kFieldSetCount
};

/// Bytes a VM holds, and its cap. The cap is enforced only while policy code runs, so the
/// C++ side (building the VM, reporting an error) never meets an allocation failure.
struct MemoryLimit {
    size_t used = 0;
    size_t limit = 0;  // 0: no cap
    bool enforce = false;
    /// Freed small blocks by 16-octet size class (lua_vm.cpp limitedAlloc), reused by the
    /// next allocation of that class; released when the VM closes.
    std::array<void*, 16> free_blocks{};
};

struct VmState {
    Entry entry = Entry::kNone;
    MemoryLimit memory;
    /// Objects handed to Lua carry the generation of their call; it moves on when the call
    /// ends, so a stashed object is recognised as dead without tracking it.
    uint64_t generation = 1;
    const radius::Dictionary* dict = nullptr;
    const policy::Settings* settings = nullptr;  // never null during a call
    policy::Settings default_settings;
    int64_t now = 0;
    LogSink* log = nullptr;
    uint64_t max_instructions = 1000000;

    // Where accept/reject/record/discard put their decision during the current call.
    policy::Decision* decision = nullptr;
    policy::AccountingDecision* accounting = nullptr;
    const void* decision_table = nullptr;  // lua_topointer of the table the last decision returned
    /// During authorize/accounting: the request's subscriber and its live counters, which
    /// `sub.open_sessions`, `sub.current_tier` and `sub.usage` show instead of the snapshot's.
    const policy::Subscriber* live_subject = nullptr;
    const policy::LiveCounters* live = nullptr;

    /// The source of a policy file ("vendors/mikrotik.lua"), or nullptr: what require() sees.
    std::function<const std::string*(std::string_view file)> find_source;

    TestArena* arena = nullptr;  // set while tests run (t.request & co. keep their objects there)

    // Registry references, created once per VM (no per-call allocation of metatables).
    int mt_request = -1;
    int mt_subscriber = -1;
    int mt_service = -1;
    int mt_tier = -1;
    int mt_usage = -1;
    int mt_nas = -1;
    int mt_settings = -1;
    int mt_readonly = -1;  // metatable of read-only lists (__newindex raises)
    int empty_table = -1;  // a read-only {}: the reply of accept() without one
    int keys[kKeyCount] = {};
    const char* key_names[kKeyCount] = {};  // the same strings, interned (kept alive by keys)
    /// Outside tests accept/reject/record/discard return one table per kind, reused by every
    /// call (its fields are rewritten), so a decision allocates nothing.
    int decision_tables[4] = {};
    int name_cache = -1;     // attribute name -> lightuserdata AttrDef* (filled on first use)
    int loaded = -1;         // require()'s module cache
    int error_handler = -1;  // the lua_pcall message handler
    /// Objects built during the call (sub.service, service.fup, ...), by the address of the C++
    /// field, so a policy reading sub.service ten times builds it once. Forgotten by endCall().
    int call_cache = -1;
    std::vector<const void*> call_cache_keys;  // what call_cache[i] was cached for
    int empty_list = -1;                       // a read-only {} handed out for every empty list
    /// Attribute names a policy used, by their interned string (LuaJIT interns every string,
    /// so the same name is the same pointer). The strings are kept alive as keys of the
    /// name_cache table, which is what keeps these pointers valid.
    std::unordered_map<const char*, const radius::AttrDef*> attr_by_name;
    /// The field names of each object as LuaJIT's interned strings (see fieldIndex()).
    std::vector<const char*> field_names[kFieldSetCount];

    /// `service.identity`: one number per Service object this VM has seen, so a policy may
    /// cache what it derives from a service. A Service is immutable, and an operator's edit
    /// makes a new object; the weak_ptr tells a live object from a new one at a reused address.
    struct ServiceIdentity {
        std::weak_ptr<const policy::Service> service;
        double id = 0;
    };
    std::unordered_map<const policy::Service*, ServiceIdentity> service_ids;
    double next_service_id = 1;
    size_t service_ids_swept = 0;  // the map's size after the last sweep of dead services
};

/// The VmState of the running bridge function (upvalue 1 of every closure we register).
VmState& vmState(lua_State* L);

}  // namespace gatehouse::bindings
