#include <fmt/core.h>

#include <memory>
#include <string>

#include "core/app/commands.hpp"
#include "core/crypto/md5.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/value.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::app {

namespace {

struct DecodeOptions {
    std::string hex;
    std::string secret;
    std::string request_auth;
};

const char* maText(radius::MaCheck c) {
    switch (c) {
        case radius::MaCheck::kAbsent:
            return "absent";
        case radius::MaCheck::kValid:
            return "valid";
        case radius::MaCheck::kInvalid:
            return "INVALID";
    }
    return "?";
}

int decode(const DecodeOptions& opt) {
    auto bytes = fromHex(opt.hex);
    if (!bytes) {
        fmt::print(stderr, "packet: not hex\n");
        return 2;
    }
    const auto& dict = radius::Dictionary::builtin();
    auto packet = radius::decodePacket(*bytes, dict);
    if (!packet) {
        fmt::print(stderr, "malformed: {}\n", radius::describe(packet.error()));
        return 1;
    }
    fmt::print("{} Id {} length {}\n", radius::codeName(packet->code()), packet->id(),
               packet->wire().size());
    fmt::print("{}", radius::formatPacket(dict, *packet));
    if (opt.secret.empty())
        return 0;

    crypto::SharedSecret secret(opt.secret);
    const radius::Code code = packet->code();
    if (radius::isRequest(code)) {
        if (radius::hasHashedRequestAuthenticator(code)) {
            fmt::print("Request Authenticator: {}\n",
                       radius::verifyRequestAuthenticator(*packet, secret) ? "valid" : "INVALID");
        }
        fmt::print("Message-Authenticator: {}\n",
                   maText(radius::checkRequestMessageAuthenticator(*packet, secret)));
        return 0;
    }
    auto ra = fromHex(opt.request_auth);
    if (!ra || ra->size() != 16) {
        fmt::print(
            "(give --request-auth with the request's 16-octet authenticator to check a "
            "response)\n");
        return 0;
    }
    fmt::print("Response Authenticator: {}\n",
               radius::verifyResponseAuthenticator(packet->wire(), ra->data(), secret) ? "valid"
                                                                                       : "INVALID");
    fmt::print("Message-Authenticator: {}\n",
               maText(radius::checkResponseMessageAuthenticator(*packet, ra->data(), secret)));
    return 0;
}

}  // namespace

void addDecodeCommand(CLI::App& app) {
    auto opt = std::make_shared<DecodeOptions>();
    auto* cmd = app.add_subcommand(
        "decode", "Decode one RADIUS packet given in hex (as tshark -e udp.payload prints it)");
    cmd->add_option("hex", opt->hex, "The packet, hex")->required();
    cmd->add_option("--secret", opt->secret, "Shared secret: also check the authenticators");
    cmd->add_option("--request-auth", opt->request_auth,
                    "For a response: the request's authenticator (hex)");
    cmd->callback([opt] { throw CLI::RuntimeError(decode(*opt)); });
}

}  // namespace gatehouse::app
