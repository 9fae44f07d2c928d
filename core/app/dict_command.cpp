#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "core/app/commands.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::app {

namespace {

struct DictOptions {
    std::vector<std::string> files;
    std::string name;
};

int checkFiles(const DictOptions& opt) {
    int failures = 0;
    for (const auto& file : opt.files) {
        radius::Dictionary dict;
        auto loaded = dict.loadFile(file);
        if (!loaded) {
            fmt::print(stderr, "{}\n", loaded.error().describe());
            ++failures;
            continue;
        }
        fmt::print("{}: ok, {} attributes, {} vendors\n", file, dict.attributes().size(),
                   dict.vendors().size());
    }
    return failures == 0 ? 0 : 1;
}

int showAttribute(const DictOptions& opt) {
    const auto& dict = radius::Dictionary::builtin();
    const radius::AttrDef* def = dict.byName(opt.name);
    if (!def) {
        fmt::print(stderr, "unknown attribute: {}\n", opt.name);
        return 1;
    }
    std::string vendor = "standard";
    if (def->vendor) {
        const radius::VendorDef* v = dict.vendorById(def->vendor);
        vendor = fmt::format("{} ({})", v ? v->name : "?", def->vendor);
    }
    fmt::print("name:    {}\noid:     {}\nvendor:  {}\ntype:    {}{}\n", def->name, def->oid,
               vendor, radius::dataTypeName(def->type),
               def->fixed_length ? fmt::format("[{}]", def->fixed_length) : "");
    if (def->encrypt != radius::Encrypt::kNone) {
        fmt::print("encrypt: {}\n", static_cast<int>(def->encrypt));
    }
    if (def->has_tag)
        fmt::print("flags:   has_tag\n");
    if (def->concat)
        fmt::print("flags:   concat\n");
    return 0;
}

}  // namespace

void addDictCommand(CLI::App& app) {
    auto opt = std::make_shared<DictOptions>();
    auto* dict = app.add_subcommand("dict", "Check dictionaries and look up attributes");
    dict->require_subcommand(1);
    auto* check = dict->add_subcommand(
        "check", "Load FreeRADIUS-format dictionary files; print errors as file:line");
    check->add_option("files", opt->files, "Dictionary files")->required();
    check->callback([opt] { throw CLI::RuntimeError(checkFiles(*opt)); });
    auto* show = dict->add_subcommand("show", "Show how the built-in dictionary defines NAME");
    show->add_option("name", opt->name, "Attribute name, e.g. Mikrotik-Rate-Limit")->required();
    show->callback([opt] { throw CLI::RuntimeError(showAttribute(*opt)); });
}

}  // namespace gatehouse::app
