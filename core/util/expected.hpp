#pragma once
// A small subset of std::expected (C++23). std::expected is out: GCC 12 lacks it in C++20 and
// clang 14 (libFuzzer) rejects libstdc++'s. Swap at C++23.
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace gatehouse {

template <class E>
class Unexpected {
  public:
    explicit Unexpected(E error) : error_(std::move(error)) {}
    E& error() & { return error_; }
    const E& error() const& { return error_; }
    E&& error() && { return std::move(error_); }

  private:
    E error_;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
    return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

template <class T, class E>
class [[nodiscard]] Expected {
  public:
    using value_type = T;
    using error_type = E;

    Expected() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
    Expected(const T& value) : v_(std::in_place_index<0>, value) {}
    Expected(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}
    template <class G>
    Expected(const Unexpected<G>& u) : v_(std::in_place_index<1>, u.error()) {}
    template <class G>
    Expected(Unexpected<G>&& u) : v_(std::in_place_index<1>, std::move(u).error()) {}

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return check(), std::get<0>(v_); }
    const T& value() const& { return check(), std::get<0>(v_); }
    T&& value() && { return check(), std::move(std::get<0>(v_)); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }

    E& error() & { return std::get<1>(v_); }
    const E& error() const& { return std::get<1>(v_); }
    E&& error() && { return std::move(std::get<1>(v_)); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
    }

  private:
    // value() on an error is a programming error: abort rather than throw (hot-path code).
    void check() const {
        if (!has_value())
            std::abort();
    }
    std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
  public:
    using value_type = void;
    using error_type = E;

    Expected() = default;
    template <class G>
    Expected(const Unexpected<G>& u) : error_(u.error()) {}
    template <class G>
    Expected(Unexpected<G>&& u) : error_(std::move(u).error()) {}

    bool has_value() const { return !error_.has_value(); }
    explicit operator bool() const { return has_value(); }
    void value() const {
        if (error_)
            std::abort();
    }
    E& error() & { return *error_; }
    const E& error() const& { return *error_; }

  private:
    std::optional<E> error_;
};

}  // namespace gatehouse
