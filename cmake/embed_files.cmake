# Run by `cmake -P` at build time: writes OUTPUT, a .cpp holding every file of SRC_DIR matching
# PATTERN as a byte array with its name, and a function returning them all:
#   std::span<const TYPE> NAMESPACE::FUNCTION()
# TYPE is an aggregate {std::string_view name; std::string_view content;} declared in HEADER.
# Used for the shipped dictionaries and the SQL migrations, so the binary needs no install path.
# Bytes, not a raw string literal, so no file content can end the literal early.
file(GLOB files LIST_DIRECTORIES false RELATIVE ${SRC_DIR} ${SRC_DIR}/${PATTERN})
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(name ${files})
  file(READ ${SRC_DIR}/${name} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # Break the array every 32 bytes so the generated file stays readable by tools.
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" bytes "${bytes}")
  string(APPEND body "// ${name}\nconst char kFile${i}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${name}\", std::string_view(kFile${i}, ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
set(content "// Generated from ${SRC_DIR} by cmake/embed_files.cmake. Do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {
namespace {
${body}
const ${TYPE} kFiles[] = {
${table}};
}  // namespace

std::span<const ${TYPE}> ${FUNCTION}() { return kFiles; }

}  // namespace ${NAMESPACE}
")
# Rewrite only on change, so an unrelated rebuild does not recompile it.
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUTPUT} "${content}")
endif()
