// gatehouse: one executable, subcommands (ARCHITECTURE.md).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "core/app/commands.hpp"
#include "core/bench/command.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Gatehouse: a Lua-scriptable RADIUS policy server for ISPs"};
    app.require_subcommand(1);
    app.add_subcommand("version", "Print the version")->callback([] {
        std::printf("gatehouse %s\n", GH_VERSION);
    });
    gatehouse::app::addDictCommand(app);
    gatehouse::app::addDecodeCommand(app);
    gatehouse::app::addPolicyCommand(app);
    gatehouse::app::addStoreCommands(app);
    gatehouse::app::addNasTestCommand(app);
    gatehouse::app::addNasHealthCommand(app);
    gatehouse::app::addServeCommand(app);
    gatehouse::app::addStatusCommand(app);
    gatehouse::app::addSessionCommand(app);
    gatehouse::app::addPoolCommand(app);
    gatehouse::app::addAdminCommand(app);
    gatehouse::bench::addBenchCommand(app);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
