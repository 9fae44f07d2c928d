#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/net/routeros_word.hpp"

namespace gatehouse::net {
namespace {

std::string hex(std::string_view s) {
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0x0F]);
    }
    return out;
}

std::string unhex(std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
        while (h[i] == ' ')
            ++i;
        out.push_back(static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

std::string prefixOf(uint32_t length) {
    std::string out;
    appendLength(out, length);
    return hex(out);
}

std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Reference §2 examples, one per boundary of every length class.
TEST(RouterOsWord, EncodesEveryLengthClassAsTheReferenceBytes) {
    EXPECT_EQ(prefixOf(0x00), "00");
    EXPECT_EQ(prefixOf(0x7F), "7f");
    EXPECT_EQ(prefixOf(0x80), "8080");
    EXPECT_EQ(prefixOf(0x100), "8100");
    EXPECT_EQ(prefixOf(0x3FFF), "bfff");
    EXPECT_EQ(prefixOf(0x4000), "c04000");
    EXPECT_EQ(prefixOf(0x1FFFFF), "dfffff");
    EXPECT_EQ(prefixOf(0x200000), "e0200000");
    EXPECT_EQ(prefixOf(0xFFFFFFF), "efffffff");
    EXPECT_EQ(prefixOf(0x10000000), "f010000000");
}

TEST(RouterOsWord, DecodesEveryLengthClassPrefix) {
    struct Case {
        const char* wire;
        uint32_t length;
        size_t size;
    };
    // Lengths past kMaxWordLength are refused, so the 4- and 5-octet forms are checked at
    // values under the cap (the encoder above covers their top ends).
    const Case cases[] = {
        {"00", 0, 1},
        {"7f", 0x7F, 1},
        {"8080", 0x80, 2},
        {"8100", 0x100, 2},
        {"bfff", 0x3FFF, 2},
        {"c04000", 0x4000, 3},
        {"dfffff", 0x1FFFFF, 3},
        {"e0200000", 0x200000, 4},
        {"e1000000", 0x1000000, 4},
        {"f000000005", 5, 5},
        {"f001000000", 0x1000000, 5},
    };
    for (const auto& c : cases) {
        const std::string wire = unhex(c.wire);
        auto r = decodeLength(bytes(wire));
        ASSERT_TRUE(r) << c.wire;
        ASSERT_TRUE(r->has_value()) << c.wire;
        EXPECT_EQ((*r)->length, c.length) << c.wire;
        EXPECT_EQ((*r)->prefix_size, c.size) << c.wire;
    }
}

TEST(RouterOsWord, RoundTripsWordsOfEveryLengthClass) {
    for (size_t n : {size_t{0x7F}, size_t{0x80}, size_t{0x3FFF}, size_t{0x4000}, size_t{0x1FFFFF},
                     size_t{0x200000}}) {
        const std::vector<std::string> words{"/cmd", std::string(n, 'x')};
        auto wire = encodeSentence(words);
        ASSERT_TRUE(wire);
        auto d = decodeSentence(*wire);
        ASSERT_TRUE(d);
        ASSERT_TRUE(d->sentence.has_value());
        EXPECT_EQ(*d->sentence, words);
        EXPECT_EQ(d->consumed, wire->size());
    }
}

// The captured /login sentence from node-routeros (reference §5).
TEST(RouterOsWord, EncodesTheCapturedLoginSentence) {
    const std::vector<std::string> words{"/login", "=name=admin", "=password=secret",
                                         ".tag=y0blroha07"};
    auto wire = encodeSentence(words);
    ASSERT_TRUE(wire);
    EXPECT_EQ(hex(*wire),
              "062f6c6f67696e"
              "0b3d6e616d653d61646d696e"
              "103d70617373776f72643d736563726574"
              "0f2e7461673d7930626c726f68613037"
              "00");
}

TEST(RouterOsWord, EncodesTheReferenceCommandExamples) {
    const std::vector<std::string> pool{"/ip/pool/print", "=.proplist=name,ranges"};
    EXPECT_EQ(hex(*encodeSentence(pool)),
              "0e2f69702f706f6f6c2f7072696e74163d2e70726f706c6973743d6e616d652c72616e676573"
              "00");
    const std::vector<std::string> cancel{"/cancel", "=tag=7"};
    EXPECT_EQ(hex(*encodeSentence(cancel)), "072f63616e63656c063d7461673d3700");
}

TEST(RouterOsWord, DecodesTheCapturedIdentityReply) {
    const std::string wire = std::string("\x03!re\x0e=name=MikroTik\x0e.tag=neb3xue8q", 34) + '\0' +
                             std::string("\x05!done\x0e.tag=neb3xue8q", 21) + '\0';
    auto first = decodeSentence(wire);
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->sentence.has_value());
    EXPECT_EQ(*first->sentence,
              (std::vector<std::string>{"!re", "=name=MikroTik", ".tag=neb3xue8q"}));
    EXPECT_EQ(first->consumed, 35u);
    auto second = decodeSentence(std::string_view(wire).substr(first->consumed));
    ASSERT_TRUE(second);
    ASSERT_TRUE(second->sentence.has_value());
    EXPECT_EQ(*second->sentence, (std::vector<std::string>{"!done", ".tag=neb3xue8q"}));
    EXPECT_EQ(second->consumed, wire.size() - 35);
}

TEST(RouterOsWord, NeedsMoreForEveryProperPrefixOfASentence) {
    const std::vector<std::string> words{"!re", "=name=" + std::string(300, 'a'), ".tag=1"};
    const std::string wire = *encodeSentence(words);
    for (size_t cut = 0; cut < wire.size(); ++cut) {
        auto d = decodeSentence(std::string_view(wire).substr(0, cut));
        ASSERT_TRUE(d) << cut;
        EXPECT_FALSE(d->sentence.has_value()) << cut;
        EXPECT_EQ(d->consumed, 0u) << cut;
    }
    auto whole = decodeSentence(wire);
    ASSERT_TRUE(whole && whole->sentence);
    EXPECT_EQ(*whole->sentence, words);
}

TEST(RouterOsWord, NeedsMoreForASplitMultiOctetPrefix) {
    const std::string partial = unhex("c040");  // a 3-octet prefix missing its last octet
    auto r = decodeLength(bytes(partial));
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());
    auto empty = decodeLength({});
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->has_value());
}

TEST(RouterOsWord, DecodesOnlyTheFirstOfTwoSentences) {
    const std::string wire = unhex("05 21646f6e65 00 05 21646f6e65 00");
    auto d = decodeSentence(wire);
    ASSERT_TRUE(d && d->sentence);
    EXPECT_EQ(*d->sentence, std::vector<std::string>{"!done"});
    EXPECT_EQ(d->consumed, 7u);
}

TEST(RouterOsWord, RejectsReservedPrefixOctets) {
    for (int first = 0xF1; first <= 0xFF; ++first) {
        const std::string wire(1, static_cast<char>(first));
        auto r = decodeLength(bytes(wire));
        ASSERT_FALSE(r) << first;
        EXPECT_EQ(r.error().code, WordErrorCode::kReservedPrefix);
        EXPECT_EQ(r.error().value, static_cast<uint64_t>(first));
    }
}

TEST(RouterOsWord, ReportsTheOffsetOfABadPrefixInsideASentence) {
    const std::string wire = unhex("03 215265 f8");
    auto d = decodeSentence(wire);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, WordErrorCode::kReservedPrefix);
    EXPECT_EQ(d.error().offset, 4u);
    EXPECT_EQ(d.error().value, 0xF8u);
    EXPECT_EQ(errorText(d.error()), "reserved length prefix 0xf8 at offset 4");
}

TEST(RouterOsWord, RejectsAWordAnnouncedPastTheCapBeforeItArrives) {
    // 4 GB announced in the 0xF0 form, and just over 16 MiB in the 4-octet form.
    for (const char* prefix : {"f0ffffffff", "e1000001"}) {
        const std::string wire = unhex(prefix);
        auto d = decodeSentence(wire);
        ASSERT_FALSE(d) << prefix;
        EXPECT_EQ(d.error().code, WordErrorCode::kWordTooLong) << prefix;
        EXPECT_EQ(d.error().offset, 0u);
    }
    auto exact = decodeLength(bytes(unhex("e1000000")));
    ASSERT_TRUE(exact && exact->has_value());
    EXPECT_EQ((*exact)->length, kMaxWordLength);
}

TEST(RouterOsWord, RefusesToEncodeAWordPastTheCap) {
    std::string out;
    auto r = appendWord(out, std::string(kMaxWordLength + 1, 'x'));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, WordErrorCode::kWordTooLong);
    EXPECT_TRUE(out.empty());
}

TEST(RouterOsWord, RejectsASentenceWithTooManyWords) {
    std::string wire;
    for (size_t i = 0; i <= kMaxSentenceWords; ++i)
        wire += unhex("0161");  // the word "a"
    auto d = decodeSentence(wire);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, WordErrorCode::kTooManyWords);
    EXPECT_EQ(d.error().offset, 2 * kMaxSentenceWords);

    std::string ok;
    for (size_t i = 0; i < kMaxSentenceWords; ++i)
        ok += unhex("0161");
    ok.push_back('\0');
    auto full = decodeSentence(ok);
    ASSERT_TRUE(full && full->sentence);
    EXPECT_EQ(full->sentence->size(), kMaxSentenceWords);
}

TEST(RouterOsWord, KeepsNonUtf8OctetsAndEqualsSignsInValues) {
    const std::vector<std::string> words{"!re", std::string("=comment=caf\xe9=x", 15)};
    auto d = decodeSentence(*encodeSentence(words));
    ASSERT_TRUE(d && d->sentence);
    EXPECT_EQ(*d->sentence, words);
}

}  // namespace
}  // namespace gatehouse::net
