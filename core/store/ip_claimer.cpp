#include "core/store/ip_claimer.hpp"

namespace gatehouse::store {

IpClaimer::IpClaimer(ClaimFunction claim, IpClaimerOptions options)
    : claim_(std::move(claim)), options_(options) {}

IpClaimer::~IpClaimer() {
    stop();
}

void IpClaimer::start() {
    thread_ = std::thread([this] { run(); });
}

bool IpClaimer::submit(IpClaimRequest request, IpClaimSink* sink, uint64_t token) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= options_.queue_max)
            return false;
        queue_.push_back(Item{std::move(request), sink, token});
    }
    wake_.notify_one();
    return true;
}

void IpClaimer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable())
        thread_.join();
}

void IpClaimer::run() {
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty())
                return;  // stopping, everything answered
            item = std::move(queue_.front());
            queue_.pop_front();
        }
        IpClaimResult result;
        try {
            result = claim_(item.request);
        } catch (const std::exception& e) {
            result.error = std::string("database unavailable: ") + e.what();
        }
        item.sink->claimed(item.token, std::move(result));
    }
}

}  // namespace gatehouse::store
