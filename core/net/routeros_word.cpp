#include "core/net/routeros_word.hpp"

#include <fmt/format.h>

namespace gatehouse::net {

std::string errorText(const WordError& error) {
    switch (error.code) {
        case WordErrorCode::kReservedPrefix:
            return fmt::format("reserved length prefix 0x{:02x} at offset {}", error.value,
                               error.offset);
        case WordErrorCode::kWordTooLong:
            return fmt::format("word of {} octets at offset {} exceeds the {} octet cap",
                               error.value, error.offset, kMaxWordLength);
        case WordErrorCode::kTooManyWords:
            return fmt::format("sentence exceeds {} words (at offset {})", kMaxSentenceWords,
                               error.offset);
    }
    return "unknown word error";
}

Expected<std::optional<LengthPrefix>, WordError> decodeLength(std::span<const uint8_t> in) {
    if (in.empty())
        return std::optional<LengthPrefix>{};
    const uint8_t first = in[0];
    size_t size = 0;
    uint32_t length = 0;
    // The count of leading one bits in the first octet says how many octets follow; the rest
    // of the first octet is the top of the big-endian length (none for the 0xF0 form).
    if ((first & 0x80) == 0) {
        size = 1;
        length = first;
    } else if ((first & 0xC0) == 0x80) {
        size = 2;
        length = first & 0x3F;
    } else if ((first & 0xE0) == 0xC0) {
        size = 3;
        length = first & 0x1F;
    } else if ((first & 0xF0) == 0xE0) {
        size = 4;
        length = first & 0x0F;
    } else if (first == 0xF0) {
        size = 5;
        length = 0;
    } else {
        return unexpected(WordError{WordErrorCode::kReservedPrefix, 0, first});
    }
    if (in.size() < size)
        return std::optional<LengthPrefix>{};
    for (size_t i = 1; i < size; ++i)
        length = (length << 8) | in[i];
    if (length > kMaxWordLength)
        return unexpected(WordError{WordErrorCode::kWordTooLong, 0, length});
    return std::optional<LengthPrefix>{LengthPrefix{length, size}};
}

void appendLength(std::string& out, uint32_t length) {
    auto put = [&out](uint32_t v, int octets) {
        for (int shift = 8 * (octets - 1); shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((v >> shift) & 0xFF));
    };
    if (length <= 0x7F) {
        put(length, 1);
    } else if (length <= 0x3FFF) {
        put(length | 0x8000, 2);
    } else if (length <= 0x1FFFFF) {
        put(length | 0xC00000, 3);
    } else if (length <= 0xFFFFFFF) {
        put(length | 0xE0000000u, 4);
    } else {
        out.push_back(static_cast<char>(0xF0));
        put(length, 4);
    }
}

Expected<void, WordError> appendWord(std::string& out, std::string_view word) {
    if (word.size() > kMaxWordLength)
        return unexpected(WordError{WordErrorCode::kWordTooLong, out.size(), word.size()});
    appendLength(out, static_cast<uint32_t>(word.size()));
    out.append(word);
    return {};
}

Expected<std::string, WordError> encodeSentence(std::span<const std::string> words) {
    if (words.size() > kMaxSentenceWords)
        return unexpected(WordError{WordErrorCode::kTooManyWords, 0, words.size()});
    std::string out;
    for (const auto& w : words) {
        auto r = appendWord(out, w);
        if (!r)
            return unexpected(r.error());
    }
    out.push_back('\0');
    return out;
}

Expected<DecodedSentence, WordError> decodeSentence(std::span<const uint8_t> in) {
    // First pass only walks the prefixes, so a sentence arriving in many small reads costs a
    // scan of its word headers per read, not a copy of its contents.
    size_t off = 0;
    size_t words = 0;
    for (;;) {
        auto prefix = decodeLength(in.subspan(off));
        if (!prefix) {
            WordError e = prefix.error();
            e.offset = off;
            return unexpected(e);
        }
        if (!*prefix)
            return DecodedSentence{};
        const auto [length, prefix_size] = **prefix;
        if (length == 0) {
            off += prefix_size;
            break;
        }
        if (words == kMaxSentenceWords)
            return unexpected(WordError{WordErrorCode::kTooManyWords, off, words + 1});
        if (length > in.size() - off - prefix_size)
            return DecodedSentence{};
        off += prefix_size + length;
        ++words;
    }

    Sentence sentence;
    sentence.reserve(words);
    size_t pos = 0;
    for (size_t i = 0; i < words; ++i) {
        const auto p = **decodeLength(in.subspan(pos));
        pos += p.prefix_size;
        sentence.emplace_back(reinterpret_cast<const char*>(in.data() + pos), p.length);
        pos += p.length;
    }
    return DecodedSentence{std::move(sentence), off};
}

Expected<DecodedSentence, WordError> decodeSentence(std::string_view in) {
    return decodeSentence(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in.data()), in.size()));
}

}  // namespace gatehouse::net
