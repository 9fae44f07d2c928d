// docs/policy-api.md is generated from bindings/registry.cpp and must stay equal to it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "bindings/registry.hpp"

namespace gatehouse::bindings {
namespace {

TEST(PolicyApiDoc, CommittedFileEqualsGeneratedText) {
    const std::string path = std::string(GH_SOURCE_DIR) + "/docs/policy-api.md";
    const std::string generated = generatePolicyApiDoc();
    const char* update = std::getenv("GATEHOUSE_UPDATE_DOCS");
    if (update != nullptr && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << generated;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream committed;
    committed << in.rdbuf();
    EXPECT_EQ(committed.str(), generated)
        << "docs/policy-api.md is stale: run GATEHOUSE_UPDATE_DOCS=1 gh_unit_policy "
           "--gtest_filter='PolicyApiDoc.*'";
}

TEST(PolicyApiDoc, EveryItemHasADescriptionAndAnExample) {
    std::set<std::string_view> names;
    for (const ApiItem& item : policyApi()) {
        EXPECT_FALSE(item.description.empty()) << item.name;
        EXPECT_FALSE(item.example.empty()) << item.name;
        EXPECT_TRUE(names.insert(item.name).second) << "listed twice: " << item.name;
    }
    EXPECT_GE(names.size(), 40u);
}

}  // namespace
}  // namespace gatehouse::bindings
