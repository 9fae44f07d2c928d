#include "core/bench/user_pattern.hpp"

#include <gtest/gtest.h>

#include "core/bench/options.hpp"

namespace gatehouse::bench {
namespace {

TEST(UserPattern, ZeroPaddedWidth) {
    UserPattern p("user%06d");
    EXPECT_EQ(p.format(0), "user000000");
    EXPECT_EQ(p.format(42), "user000042");
    EXPECT_EQ(p.format(1234567), "user1234567");  // wider than the width: all digits
    EXPECT_EQ(p.format(4294967295u), "user4294967295");
}

TEST(UserPattern, PlainSpacePaddedSuffixAndPercent) {
    EXPECT_EQ(UserPattern("u%d@isp").format(7), "u7@isp");
    EXPECT_EQ(UserPattern("[%4d]").format(7), "[   7]");
    EXPECT_EQ(UserPattern("100%%-%d").format(3), "100%-3");
    EXPECT_EQ(UserPattern("fixed").format(99), "fixed");
}

TEST(UserPattern, CheckNamesWhatIsWrong) {
    EXPECT_EQ(UserPattern::check("user%06d"), "");
    EXPECT_EQ(UserPattern::check("a%d%d"), "more than one %d");
    EXPECT_EQ(UserPattern::check("a%s"), "only %d, %Nd and %0Nd are supported");
    EXPECT_EQ(UserPattern::check("a%"), "ends with a lone '%'");
    EXPECT_EQ(UserPattern::check("a%030d"), "width over 20");
}

TEST(UserPattern, MaxLengthCoversEveryIndex) {
    UserPattern p("user%06d");
    EXPECT_EQ(p.maxLength(), 14u);
    EXPECT_LE(p.format(4294967295u).size(), p.maxLength());
}

TEST(Options, ValidateNamesTheOption) {
    Options o;
    EXPECT_EQ(validate(o), "");
    o.window = 600;
    o.sockets = 2;
    EXPECT_EQ(validate(o),
              "--window 600 needs at least 3 --sockets: at most 256 requests are outstanding "
              "per source port");
    o = Options{};
    o.threads = 8;
    EXPECT_EQ(validate(o), "--sockets must be at least --threads");
    o = Options{};
    o.server = "localhost";
    EXPECT_EQ(validate(o), "--server: 'localhost' is not an IPv4 address");
    o = Options{};
    o.user_pattern = "%s";
    EXPECT_EQ(validate(o), "--user-pattern: only %d, %Nd and %0Nd are supported");
}

TEST(Options, DefaultPortFollowsMode) {
    Options o;
    EXPECT_EQ(effectivePort(o), 1812);
    o.mode = Mode::kAcct;
    EXPECT_EQ(effectivePort(o), 1813);
    o.port = 1646;
    EXPECT_EQ(effectivePort(o), 1646);
    EXPECT_EQ(parseMode("mschapv2"), Mode::kMsChapV2);
    EXPECT_FALSE(parseMode("eap").has_value());
}

}  // namespace
}  // namespace gatehouse::bench
