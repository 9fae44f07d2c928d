# Run by `cmake -P` at build time: writes OUTPUT, a .cpp holding every file of DICT_DIR as a
# byte array with its name, for Dictionary::builtin() (see embedded_dictionaries.hpp).
# Bytes, not a raw string literal, so no file content can end the literal early.
file(GLOB files LIST_DIRECTORIES false RELATIVE ${DICT_DIR} ${DICT_DIR}/*)
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(name ${files})
  file(READ ${DICT_DIR}/${name} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Break the array every 32 bytes so the generated file stays readable by tools.
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" bytes "${bytes}")
  string(APPEND body "// ${name}\nconst char kFile${i}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${name}\", std::string_view(kFile${i}, ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
set(content "// Generated from dictionaries/ by core/radius/embed_dictionaries.cmake. Do not edit.
#include \"core/radius/embedded_dictionaries.hpp\"

namespace gatehouse::radius::detail {
namespace {
${body}
const EmbeddedFile kFiles[] = {
${table}};
}  // namespace

std::span<const EmbeddedFile> embeddedDictionaries() { return kFiles; }

}  // namespace gatehouse::radius::detail
")
# Rewrite only on change, so an unrelated rebuild does not recompile it.
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUTPUT} "${content}")
endif()
