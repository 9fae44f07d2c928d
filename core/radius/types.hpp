#pragma once
// RADIUS codes, sizes and the attribute numbers the C++ core itself needs. Everything else is
// looked up by name in the Dictionary.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gatehouse::radius {

inline constexpr size_t kHeaderLength = 20;
inline constexpr size_t kMaxPacketLength = 4096;  // RFC 2865 3: UDP transport
inline constexpr size_t kAuthenticatorLength = 16;
inline constexpr size_t kMaxAttrValue = 253;                   // 255 - type - length
inline constexpr size_t kMaxVsaValue = kMaxAttrValue - 4 - 2;  // RFC-format sub-attribute
inline constexpr size_t kMaxPasswordLength = 128;              // RFC 2865 5.2

enum class Code : uint8_t {
    kAccessRequest = 1,
    kAccessAccept = 2,
    kAccessReject = 3,
    kAccountingRequest = 4,
    kAccountingResponse = 5,
    kAccessChallenge = 11,
    kStatusServer = 12,
    kStatusClient = 13,
    kDisconnectRequest = 40,
    kDisconnectAck = 41,
    kDisconnectNak = 42,
    kCoaRequest = 43,
    kCoaAck = 44,
    kCoaNak = 45,
    kProtocolError = 52,
};

/// True for the codes of RFC 2865/2866/5176/5997/7930 that Gatehouse speaks.
constexpr bool isKnownCode(uint8_t c) {
    switch (c) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 11:
        case 12:
        case 13:
        case 40:
        case 41:
        case 42:
        case 43:
        case 44:
        case 45:
        case 52:
            return true;
        default:
            return false;
    }
}

constexpr bool isRequest(Code c) {
    return c == Code::kAccessRequest || c == Code::kAccountingRequest || c == Code::kStatusServer ||
           c == Code::kDisconnectRequest || c == Code::kCoaRequest;
}

/// Requests whose authenticator is MD5(header with zero authenticator + attrs + secret)
/// (RFC 2866 3, RFC 5176 3.5) rather than 16 random octets.
constexpr bool hasHashedRequestAuthenticator(Code c) {
    return c == Code::kAccountingRequest || c == Code::kDisconnectRequest || c == Code::kCoaRequest;
}

std::string_view codeName(Code c);  // "Access-Request", ..., "Unknown"

/// Standard attribute numbers used directly by C++ code.
namespace attr {
inline constexpr uint8_t kUserName = 1;
inline constexpr uint8_t kUserPassword = 2;
inline constexpr uint8_t kChapPassword = 3;
inline constexpr uint8_t kNasIpAddress = 4;
inline constexpr uint8_t kNasPort = 5;
inline constexpr uint8_t kServiceType = 6;
inline constexpr uint8_t kFramedIpAddress = 8;
inline constexpr uint8_t kFilterId = 11;
inline constexpr uint8_t kReplyMessage = 18;
inline constexpr uint8_t kState = 24;
inline constexpr uint8_t kClass = 25;
inline constexpr uint8_t kVendorSpecific = 26;
inline constexpr uint8_t kSessionTimeout = 27;
inline constexpr uint8_t kIdleTimeout = 28;
inline constexpr uint8_t kCalledStationId = 30;
inline constexpr uint8_t kCallingStationId = 31;
inline constexpr uint8_t kNasIdentifier = 32;
inline constexpr uint8_t kProxyState = 33;
inline constexpr uint8_t kAcctStatusType = 40;
inline constexpr uint8_t kAcctDelayTime = 41;
inline constexpr uint8_t kAcctInputOctets = 42;
inline constexpr uint8_t kAcctOutputOctets = 43;
inline constexpr uint8_t kAcctSessionId = 44;
inline constexpr uint8_t kAcctSessionTime = 46;
inline constexpr uint8_t kAcctTerminateCause = 49;
inline constexpr uint8_t kAcctInputGigawords = 52;
inline constexpr uint8_t kAcctOutputGigawords = 53;
inline constexpr uint8_t kEventTimestamp = 55;
inline constexpr uint8_t kChapChallenge = 60;
inline constexpr uint8_t kNasPortType = 61;
inline constexpr uint8_t kTunnelPassword = 69;
inline constexpr uint8_t kEapMessage = 79;
inline constexpr uint8_t kMessageAuthenticator = 80;
inline constexpr uint8_t kAcctInterimInterval = 85;
inline constexpr uint8_t kNasPortId = 87;
inline constexpr uint8_t kFramedPool = 88;
inline constexpr uint8_t kErrorCause = 101;
}  // namespace attr

namespace vendor {
inline constexpr uint32_t kCisco = 9;
inline constexpr uint32_t kMicrosoft = 311;
inline constexpr uint32_t kHuawei = 2011;
inline constexpr uint32_t kRedback = 2352;
inline constexpr uint32_t kJuniper = 2636;
inline constexpr uint32_t kErx = 4874;
inline constexpr uint32_t kMikrotik = 14988;
inline constexpr uint32_t kWispr = 14122;
}  // namespace vendor

/// Microsoft (311) vendor types, RFC 2548.
namespace ms {
inline constexpr uint8_t kChapResponse = 1;
inline constexpr uint8_t kChapError = 2;
inline constexpr uint8_t kMppeEncryptionPolicy = 7;
inline constexpr uint8_t kMppeEncryptionTypes = 8;
inline constexpr uint8_t kChapChallenge = 11;
inline constexpr uint8_t kChapMppeKeys = 12;
inline constexpr uint8_t kMppeSendKey = 16;
inline constexpr uint8_t kMppeRecvKey = 17;
inline constexpr uint8_t kChap2Response = 25;
inline constexpr uint8_t kChap2Success = 26;
}  // namespace ms

}  // namespace gatehouse::radius
