// Fuzzes the dictionary loader: any text must load or fail with a DictError, never crash,
// hang or leak. On success, the lookups the codec and the policy bridge use are exercised
// over everything that was defined.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/radius/dictionary.hpp"

using gatehouse::radius::AttrDef;
using gatehouse::radius::DataType;
using gatehouse::radius::Dictionary;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Dictionary dict;
    // A name in a directory that does not exist, so relative $INCLUDEs find nothing on disk.
    auto r = dict.loadText(text, "/nonexistent-fuzz-dir/dictionary");
    if (!r) {
        volatile size_t n = r.error().describe().size();
        (void)n;
        return 0;
    }
    for (const AttrDef& a : dict.attributes()) {
        const AttrDef* by_name = dict.byName(a.name);
        if (by_name == nullptr)
            __builtin_trap();  // every defined name must resolve
        const AttrDef* canon = dict.canonical(a);
        if (canon == nullptr)
            __builtin_trap();
        if (a.parent) {
            const AttrDef* c = a.parent->type == DataType::kEvs
                                   ? dict.evsChild(*a.parent, a.vendor, a.number)
                                   : dict.child(*a.parent, a.number);
            if (c == nullptr)
                __builtin_trap();  // its place resolves to some definition
        } else if (dict.find(a.vendor, a.number) == nullptr) {
            __builtin_trap();
        }
        for (const auto& [name, number] : dict.values(a)) {
            auto back = dict.valueByName(a, name);
            if (!back || *back != number)
                __builtin_trap();
            if (dict.valueName(a, number).empty())
                __builtin_trap();
        }
        (void)dict.vendorById(a.vendor);
        (void)dataTypeName(a.type);
    }
    for (const auto& v : dict.vendors()) {
        if (dict.vendorByName(v.name) == nullptr)
            __builtin_trap();
    }
    return 0;
}
