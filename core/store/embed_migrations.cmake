# Run by `cmake -P` at build time: writes OUTPUT, a .cpp holding every migrations/*.sql as a
# byte array with its file name, for embeddedMigrations() (migrations.hpp). Bytes, not a raw
# string literal, so no SQL text can end the literal early.
file(GLOB files LIST_DIRECTORIES false RELATIVE ${SQL_DIR} ${SQL_DIR}/*.sql)
list(SORT files)
set(body "")
set(table "")
set(i 0)
foreach(name ${files})
  file(READ ${SQL_DIR}/${name} hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR size "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){32})" "\\1\n" bytes "${bytes}")
  string(APPEND body "// ${name}\nconst char kFile${i}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${name}\", std::string_view(kFile${i}, ${size})},\n")
  math(EXPR i "${i} + 1")
endforeach()
set(content "// Generated from core/store/migrations/ by embed_migrations.cmake. Do not edit.
#include \"core/store/migrations.hpp\"

namespace gatehouse::store {
namespace {
${body}
const EmbeddedMigration kFiles[] = {
${table}};
}  // namespace

std::span<const EmbeddedMigration> embeddedMigrations() { return kFiles; }

}  // namespace gatehouse::store
")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE ${OUTPUT} "${content}")
endif()
