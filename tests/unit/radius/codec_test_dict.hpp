#pragma once
// The dictionary the codec tests decode with: Dictionary::builtin() once it carries the vendor
// dictionaries the vectors need, else FreeRADIUS's own files, read at run time (never copied).
#include <cstdio>
#include <cstdlib>

#include "core/radius/dictionary.hpp"

namespace gatehouse::radius::test {

inline bool dictionaryCoversVectors(const Dictionary& d) {
    return d.byName("User-Name") != nullptr && d.byName("Mikrotik-Rate-Limit") != nullptr &&
           d.byName("MS-MPPE-Send-Key") != nullptr && d.byName("Frag-Status") != nullptr &&
           d.byName("Tunnel-Password") != nullptr;
}

inline const Dictionary& codecDict() {
    static const Dictionary* dict = [] {
        const Dictionary& builtin = Dictionary::builtin();
        if (dictionaryCoversVectors(builtin))
            return &builtin;
        auto* d = new Dictionary;
        auto r = d->loadFile("/usr/share/freeradius/dictionary");
        if (!r) {
            std::fprintf(stderr, "codec tests: no usable dictionary: %s\n",
                         r.error().describe().c_str());
            std::abort();
        }
        return static_cast<const Dictionary*>(d);
    }();
    return *dict;
}

}  // namespace gatehouse::radius::test
