#pragma once
// `gatehouse bench`: the CLI of the load generator. main.cpp calls addBenchCommand once.
namespace CLI {
class App;
}

namespace gatehouse::bench {

void addBenchCommand(CLI::App& app);

}  // namespace gatehouse::bench
