#include "core/radius/types.hpp"

namespace gatehouse::radius {

std::string_view codeName(Code c) {
    switch (c) {
        case Code::kAccessRequest:
            return "Access-Request";
        case Code::kAccessAccept:
            return "Access-Accept";
        case Code::kAccessReject:
            return "Access-Reject";
        case Code::kAccountingRequest:
            return "Accounting-Request";
        case Code::kAccountingResponse:
            return "Accounting-Response";
        case Code::kAccessChallenge:
            return "Access-Challenge";
        case Code::kStatusServer:
            return "Status-Server";
        case Code::kStatusClient:
            return "Status-Client";
        case Code::kDisconnectRequest:
            return "Disconnect-Request";
        case Code::kDisconnectAck:
            return "Disconnect-ACK";
        case Code::kDisconnectNak:
            return "Disconnect-NAK";
        case Code::kCoaRequest:
            return "CoA-Request";
        case Code::kCoaAck:
            return "CoA-ACK";
        case Code::kCoaNak:
            return "CoA-NAK";
        case Code::kProtocolError:
            return "Protocol-Error";
    }
    return "Unknown";
}

}  // namespace gatehouse::radius
