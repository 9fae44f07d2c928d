#include "core/app/cli_errors.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <pqxx/except>
#include <string_view>

#include "core/store/error.hpp"
#include "core/util/one_line.hpp"

namespace gatehouse::app {

void fail(const std::string& message) {
    std::cerr << "error: " << message << "\n";
    throw CLI::RuntimeError(1);
}

std::string describeFailure(const std::exception& e) {
    if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr)
        return "cannot connect to PostgreSQL (set GATEHOUSE_DB or --db): " + oneLine(e.what());
    return oneLine(store::describe(store::fromException(e)));
}

void guarded(const std::function<void()>& body) {
    try {
        body();
    } catch (const CLI::Error&) {
        throw;
    } catch (const std::exception& e) {
        fail(describeFailure(e));
    }
}

}  // namespace gatehouse::app
