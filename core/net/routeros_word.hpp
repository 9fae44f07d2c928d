#pragma once
// MikroTik RouterOS API words and sentences (docs/routeros-api.md,
// the shared reference routeros-api.md §2). Pure: no I/O, no logging, never throws.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/expected.hpp"

namespace gatehouse::net {

// A peer can announce a 4 GB word; these caps bound what one sentence may make us buffer.
inline constexpr uint32_t kMaxWordLength = 16u * 1024u * 1024u;
inline constexpr size_t kMaxSentenceWords = 65536;

/// Words of one sentence, without the terminating empty word. Contents are bytes (the router's
/// code page), not necessarily UTF-8.
using Sentence = std::vector<std::string>;

enum class WordErrorCode {
    kReservedPrefix,  // first length octet 0xF1..0xFF (0xF8.. are control bytes)
    kWordTooLong,     // announced length > kMaxWordLength
    kTooManyWords,    // sentence longer than kMaxSentenceWords
};

struct WordError {
    WordErrorCode code;
    size_t offset;   // where in the input the offending length prefix starts
    uint64_t value;  // the prefix octet, the announced length or the word count
};

std::string errorText(const WordError& error);

/// A decoded length prefix: the word's length and how many octets the prefix took (1..5).
struct LengthPrefix {
    uint32_t length;
    size_t prefix_size;
};

/// Decodes the length prefix at the start of `in`; nullopt when more octets are needed.
Expected<std::optional<LengthPrefix>, WordError> decodeLength(std::span<const uint8_t> in);

/// Appends the 1..5 octet big-endian length prefix for `length`.
void appendLength(std::string& out, uint32_t length);

/// Appends one word (prefix + content). Fails for words longer than kMaxWordLength.
Expected<void, WordError> appendWord(std::string& out, std::string_view word);

/// Encodes words followed by the empty terminating word.
Expected<std::string, WordError> encodeSentence(std::span<const std::string> words);

/// Result of one decode attempt: `sentence` is empty when the buffer holds only part of one
/// (consumed is then 0: keep the bytes and call again with more).
struct DecodedSentence {
    std::optional<Sentence> sentence;
    size_t consumed = 0;
};

/// Decodes the first complete sentence in `in`. An error means the stream is unusable: close it.
Expected<DecodedSentence, WordError> decodeSentence(std::span<const uint8_t> in);
Expected<DecodedSentence, WordError> decodeSentence(std::string_view in);

}  // namespace gatehouse::net
