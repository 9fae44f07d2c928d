#include "core/bench/options.hpp"
