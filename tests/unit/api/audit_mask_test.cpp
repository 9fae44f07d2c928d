#include <gtest/gtest.h>

#include "core/api/audit.hpp"

namespace gatehouse::api {
namespace {

using nlohmann::json;

TEST(MaskSecrets, ReplacesSecretMembersAtAnyDepth) {
    json in = {{"name", "core-1"},
               {"secret", "s3cr3t"},
               {"api_password", "ros"},
               {"nested", {{"password", "p"}, {"password_hash", "$argon2id$..."}, {"ok", 1}}},
               {"list", json::array({{{"secret", "x"}, {"name", "a"}}, 5})}};
    json out = maskSecrets(in);
    EXPECT_EQ(out, json({{"name", "core-1"},
                         {"secret", "***"},
                         {"api_password", "***"},
                         {"nested", {{"password", "***"}, {"password_hash", "***"}, {"ok", 1}}},
                         {"list", json::array({{{"secret", "***"}, {"name", "a"}}, 5})}}));
}

TEST(MaskSecrets, MasksNonStringAndNullSecretsToo) {
    // Even a null or numeric secret is masked: "was it set?" is not the log's business.
    EXPECT_EQ(maskSecrets(json({{"secret", nullptr}, {"token_hash", 12}})),
              json({{"secret", "***"}, {"token_hash", "***"}}));
}

TEST(MaskSecrets, LeavesLookalikeNamesAlone) {
    json in = {{"has_secret", true}, {"password_changed", true}, {"hash", "x"}, {"_hash", "y"}};
    EXPECT_EQ(maskSecrets(in), in);
}

}  // namespace
}  // namespace gatehouse::api
