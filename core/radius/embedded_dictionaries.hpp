#pragma once
// The files of dictionaries/ compiled into the library. The definition is generated at build
// time by cmake/embed_files.cmake (see core/radius/CMakeLists.txt).
#include <cstddef>
#include <span>
#include <string_view>

namespace gatehouse::radius::detail {

struct EmbeddedFile {
    std::string_view name;  // file name inside dictionaries/, e.g. "dictionary.rfc2865"
    std::string_view text;
};

std::span<const EmbeddedFile> embeddedDictionaries();

}  // namespace gatehouse::radius::detail
