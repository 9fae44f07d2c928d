#include "core/store/ip_claimer.hpp"

namespace gatehouse::store {

IpClaimer::IpClaimer(ClaimFunction claim, IpClaimerOptions options) : options_(options) {
    lanes_.push_back(std::make_unique<Lane>());
    lanes_.back()->claim = std::move(claim);
}

IpClaimer::IpClaimer(const std::function<ClaimFunction()>& make_claim, size_t lanes,
                     IpClaimerOptions options)
    : options_(options) {
    for (size_t i = 0; i < (lanes == 0 ? 1 : lanes); ++i) {
        lanes_.push_back(std::make_unique<Lane>());
        lanes_.back()->claim = make_claim();
    }
}

IpClaimer::~IpClaimer() {
    stop();
}

void IpClaimer::start() {
    for (auto& lane : lanes_)
        lane->thread = std::thread([l = lane.get()] { run(*l); });
}

bool IpClaimer::submit(IpClaimRequest request, IpClaimSink* sink, uint64_t token) {
    const uint64_t key = static_cast<uint64_t>(request.subscriber_id);
    Lane& lane = *lanes_[key % lanes_.size()];
    {
        std::lock_guard lock(lane.mutex);
        if (lane.stopping || lane.queue.size() >= options_.queue_max)
            return false;
        lane.queue.push_back(Item{std::move(request), sink, token});
    }
    lane.wake.notify_one();
    return true;
}

void IpClaimer::stop() {
    for (auto& lane : lanes_) {
        {
            std::lock_guard lock(lane->mutex);
            lane->stopping = true;
        }
        lane->wake.notify_one();
    }
    for (auto& lane : lanes_)
        if (lane->thread.joinable())
            lane->thread.join();
}

void IpClaimer::run(Lane& lane) {
    for (;;) {
        Item item;
        {
            std::unique_lock lock(lane.mutex);
            lane.wake.wait(lock, [&] { return lane.stopping || !lane.queue.empty(); });
            if (lane.queue.empty())
                return;  // stopping, everything answered
            item = std::move(lane.queue.front());
            lane.queue.pop_front();
        }
        IpClaimResult result;
        try {
            result = lane.claim(item.request);
        } catch (const std::exception& e) {
            result.error = std::string("database unavailable: ") + e.what();
        }
        item.sink->claimed(item.token, std::move(result));
    }
}

}  // namespace gatehouse::store
