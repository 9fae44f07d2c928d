#pragma once
// MS-CHAPv1 (RFC 2433) and MS-CHAPv2 (RFC 2759) as carried by RADIUS (RFC 2548), and the
// MPPE keys derived from them (RFC 3079). The NT hash is what a subscriber cache keeps,
// so the verify functions take it rather than the password.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/crypto/md5.hpp"

namespace gatehouse::crypto {

using NtHash = std::array<uint8_t, 16>;
using Response24 = std::array<uint8_t, 24>;

/// MD4 of the UTF-16LE form of a UTF-8 password (RFC 2759 8.3 NtPasswordHash). Invalid UTF-8
/// octets are taken as Latin-1, as Windows clients do with legacy code pages.
NtHash ntPasswordHash(std::string_view password_utf8);
/// MD4(hash): the PasswordHashHash of RFC 2759 8.4.
NtHash hashNtPasswordHash(const NtHash& hash);
/// Raw MD4 (needed by the two above; exposed for tests).
std::array<uint8_t, 16> md4(ByteSpan data);

/// RFC 2759 8.6 DesEncrypt (as in RFC 2433): spreads a 7-octet (56-bit) key over 8 octets,
/// 7 key bits each, and sets the low bit of each octet for odd parity. Exposed for tests.
std::array<uint8_t, 8> desKeyFrom7(const uint8_t* key7);

/// RFC 2759 8.2: SHA1(peer challenge + authenticator challenge + user name)[0..8].
/// user_name is the bare name: a "DOMAIN\" prefix is stripped here.
std::array<uint8_t, 8> challengeHash(ByteSpan peer_challenge16, ByteSpan auth_challenge16,
                                     std::string_view user_name);
/// RFC 2759 8.5: three DES encryptions of the 8-octet challenge under the zero-padded hash.
Response24 challengeResponse(const uint8_t* challenge8, const NtHash& hash);
/// RFC 2759 8.1 GenerateNTResponse.
Response24 generateNtResponse(ByteSpan auth_challenge16, ByteSpan peer_challenge16,
                              std::string_view user_name, const NtHash& hash);
/// RFC 2759 8.7: "S=" + 40 uppercase hex digits.
std::string authenticatorResponse(const NtHash& hash, const Response24& nt_response,
                                  ByteSpan peer_challenge16, ByteSpan auth_challenge16,
                                  std::string_view user_name);

/// MS-CHAP error codes (RFC 2759 6).
enum class MsChapErrorCode : uint16_t {
    kRestrictedLogonHours = 646,
    kAccountDisabled = 647,
    kPasswordExpired = 648,
    kNoDialinPermission = 649,
    kAuthenticationFailure = 691,
    kChangingPassword = 709,
};

/// Why a verify function said no; the caller counts these, it never logs the response.
enum class MsChapStatus : uint8_t {
    kOk,
    kBadLength,      // response not 50 octets, or challenge not 16 (v2) / 8 (v1) octets
    kBadReserved,    // MS-CHAPv2: the 8 reserved octets are not zero (RFC 2759 4)
    kLmOnly,         // MS-CHAPv1: flags bit 0 clear, i.e. only an LM-Response was sent
    kWrongResponse,  // well formed, but the NT-Response does not match the password
};

/// Outcome of checking an MS-CHAPv2 exchange carried in RADIUS.
struct MsChapV2Result {
    bool ok = false;
    MsChapStatus status = MsChapStatus::kBadLength;
    /// MS-CHAP2-Success value: ident + "S=<40 hex>" (43 octets). Only when ok.
    std::string success;
    /// MPPE start keys for MS-MPPE-Send-Key / Recv-Key (server's view, RFC 3079 3.5). Only when ok.
    std::array<uint8_t, 16> send_key{};
    std::array<uint8_t, 16> recv_key{};
};

/// Checks MS-CHAP2-Response (50 octets: ident, flags, peer challenge 16, reserved 8,
/// NT-Response 24) against MS-CHAP-Challenge (16 octets). Malformed sizes give ok=false.
/// The reserved octets must be zero (RFC 2759 4, RFC 2548 2.3.2); the flags octet is ignored:
/// it enters no computation, and refusing a NAS that copies MS-CHAPv1 flags gains nothing.
MsChapV2Result verifyMsChapV2(ByteSpan ms_chap2_response, ByteSpan ms_chap_challenge,
                              std::string_view user_name, const NtHash& hash);

/// Outcome of checking MS-CHAPv1.
struct MsChapV1Result {
    bool ok = false;
    MsChapStatus status = MsChapStatus::kBadLength;
    /// MS-CHAP-MPPE-Keys plaintext (24 octets before hiding): 8 LM-key octets (zero: no LM
    /// hash is kept) + 16 octets NT key (the PasswordHashHash). Only when ok.
    std::array<uint8_t, 24> mppe_keys{};
};

/// Checks MS-CHAP-Response (50 octets: ident, flags, LM-Response 24, NT-Response 24) against
/// MS-CHAP-Challenge (8 octets). Only the NT-Response is accepted (flags bit 0 set): LM
/// responses are refused, as the LM hash is not stored.
MsChapV1Result verifyMsChapV1(ByteSpan ms_chap_response, ByteSpan ms_chap_challenge,
                              const NtHash& hash);

/// MS-CHAP-Error value: ident + "E=<code> R=<retry> C=<32 hex new challenge> V=3 M=<text>".
/// C= is lowercase hex of new_challenge16 (as FreeRADIUS writes it); V=3 is the MS-CHAPv2
/// password-change version (RFC 2759 6).
std::string msChapError(uint8_t ident, MsChapErrorCode code, bool retry, ByteSpan new_challenge16,
                        std::string_view message);

/// RFC 3079 3.4 / 3.5: master key and the 16-octet start keys, server's point of view
/// (send = Magic3 "receive key on the client side", recv = Magic2).
std::array<uint8_t, 16> mppeMasterKey(const NtHash& password_hash_hash,
                                      const Response24& nt_response);
/// RFC 3079 3.4 GetAsymmetricStartKey. key_len is 8 (40/56-bit) or 16 (128-bit); larger values
/// are clamped to 16 and the octets past key_len are zero. server_send picks Magic3 (the
/// server's send key, MS-MPPE-Send-Key), otherwise Magic2 (MS-MPPE-Recv-Key).
std::array<uint8_t, 16> mppeStartKey(const std::array<uint8_t, 16>& master_key, size_t key_len,
                                     bool server_send);
/// RFC 3079 3.1/3.2/3.3 GetNewKeyFromSHA, without reduction: SHA1(start + pad1 + session +
/// pad2)[0..key_len]; key_len clamped to 16, octets past key_len zero. RADIUS sends start keys;
/// this and the reductions below are for tests and NAS-side code.
std::array<uint8_t, 16> mppeNewKey(const std::array<uint8_t, 16>& start_key,
                                   const std::array<uint8_t, 16>& session_key, size_t key_len);

/// MPPE key strength: 40 and 56-bit keys are both 8 octets and differ only in reduction.
enum class MppeStrength : uint8_t { k40Bit, k56Bit, k128Bit };
constexpr size_t mppeKeyLength(MppeStrength s) {
    return s == MppeStrength::k128Bit ? 16 : 8;
}
/// RFC 3079 3.1/3.2: a 40-bit key gets d1 26 9e in its first 3 octets, a 56-bit key d1 in its
/// first; 128-bit keys are unchanged.
void mppeReduceKey(std::array<uint8_t, 16>& key, MppeStrength strength);
/// The first session key of RFC 3079 3.1-3.3: GetNewKeyFromSHA(start, start) then reduction.
std::array<uint8_t, 16> mppeInitialSessionKey(const std::array<uint8_t, 16>& start_key,
                                              MppeStrength strength);

}  // namespace gatehouse::crypto
