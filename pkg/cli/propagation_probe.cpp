#include "pkg/cli/propagation_probe.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/cli/command.hpp"

#include <boost/json.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

namespace kb::cli {
namespace json = boost::json;

namespace {

// A poll whose tip was neither the node's tip before mining nor (yet known to be) the new block.
struct RawPoll {
  ProbeClock::time_point sent;
  ProbeClock::time_point received;
  std::string tip;
};

// What the pollers and the mining thread share; one lock for all of it.
class ProbeState {
 public:
  explicit ProbeState(std::vector<std::string> initial_tips)
      : initial_tips_(std::move(initial_tips)),
        raw_(initial_tips_.size()),
        polls_(initial_tips_.size()),
        done_(initial_tips_.size(), false) {}

  void set_block(std::string hash) {
    std::lock_guard lock(mutex_);
    block_ = std::move(hash);
    // Classify the polls that came back before the hash was known.
    for (std::size_t node = 0; node < raw_.size(); ++node) {
      for (const auto& poll : raw_[node]) record_locked(node, poll);
      raw_[node].clear();
    }
  }
  std::optional<std::string> block() const {
    std::lock_guard lock(mutex_);
    return block_;
  }
  bool done(std::size_t node) const {
    std::lock_guard lock(mutex_);
    return done_[node];
  }
  bool all_done() const {
    std::lock_guard lock(mutex_);
    return std::all_of(done_.begin(), done_.end(), [](bool d) { return d; });
  }
  // Returns true when the tip is neither the old one nor the block, and the block is known: the
  // caller asks the node whether the block is in its chain (it may already have a later one).
  // Undecided polls from before the block was known wait in raw_ for set_block.
  bool record(std::size_t node, const RawPoll& poll) {
    std::lock_guard lock(mutex_);
    round_trips_.push_back(std::chrono::duration<double, std::milli>(poll.received - poll.sent).count());
    if (record_locked(node, poll)) return false;
    if (!block_) {
      raw_[node].push_back(poll);  // decided once the block's hash is known
      return false;
    }
    return true;
  }
  void record_answer(std::size_t node, ProbeClock::time_point sent, ProbeClock::time_point received, bool has) {
    std::lock_guard lock(mutex_);
    polls_[node].push_back({sent, received, has});
    if (has) done_[node] = true;
  }
  void record_failure() {
    std::lock_guard lock(mutex_);
    ++failed_polls_;
  }
  std::size_t failed_polls() const {
    std::lock_guard lock(mutex_);
    return failed_polls_;
  }
  std::vector<std::vector<TipPoll>> polls() const {
    std::lock_guard lock(mutex_);
    return polls_;
  }
  std::vector<double> round_trips() const {
    std::lock_guard lock(mutex_);
    return round_trips_;
  }

 private:
  // Whether the poll could be decided (the tip is the old one or the block).
  bool record_locked(std::size_t node, const RawPoll& poll) {
    switch (classify_tip(poll.tip, initial_tips_[node], block_)) {
      case TipVerdict::has_block:
        polls_[node].push_back({poll.sent, poll.received, true});
        done_[node] = true;
        return true;
      case TipVerdict::old_tip:
        polls_[node].push_back({poll.sent, poll.received, false});
        return true;
      case TipVerdict::undecided:
        return false;
    }
    return false;
  }

  mutable std::mutex mutex_;
  std::vector<std::string> initial_tips_;
  std::optional<std::string> block_;
  std::vector<std::vector<RawPoll>> raw_;
  std::vector<std::vector<TipPoll>> polls_;
  std::vector<bool> done_;
  std::vector<double> round_trips_;
  std::size_t failed_polls_ = 0;
};

// One worker: polls its share of the nodes (ordinal % workers == index) until each has the block.
void poll_nodes(std::stop_token stop, const NetworkRpc& rpc, ProbeState& state, int index, int workers, int nodes,
                std::chrono::milliseconds interval) {
  std::mutex sleep_mutex;
  std::condition_variable_any sleeper;
  while (!stop.stop_requested()) {
    const auto round_start = ProbeClock::now();
    bool any = false;
    for (int node = index; node < nodes && !stop.stop_requested(); node += workers) {
      const auto n = static_cast<std::size_t>(node);
      if (state.done(n)) continue;
      any = true;
      try {
        RawPoll poll;
        poll.sent = ProbeClock::now();
        auto tip = rpc.call(node, {"getbestblockhash", json::array{}});
        poll.received = ProbeClock::now();
        poll.tip = tip.is_string() ? std::string(tip.get_string()) : "";
        if (state.record(n, poll)) {
          // A tip past the block (someone mined on top): is the block in this node's chain?
          auto header = rpc.call(node, {"getblockheader", json::array{json::string(*state.block()), true}});
          auto confirmations = base::int_at(header, "confirmations").value_or(-1);
          state.record_answer(n, poll.sent, ProbeClock::now(), confirmations >= 1);
        }
      } catch (const std::exception&) {
        state.record_failure();  // e.g. 429 when the gateway is busy: the next round asks again
      }
    }
    if (!any) return;
    std::unique_lock lock(sleep_mutex);
    sleeper.wait_until(lock, stop, round_start + interval, [] { return false; });
  }
}

}  // namespace

PropagationReport measure_propagation(const NetworkRpc& rpc, int nodes, const ProbeOptions& options,
                                      const std::vector<std::optional<int>>& hops) {
  rpc.require_node(options.miner);
  std::vector<std::string> initial_tips;
  for (int node = 0; node < nodes; ++node) {
    std::string tip;
    try {
      auto answer = rpc.call(node, {"getbestblockhash", json::array{}});
      if (answer.is_string()) tip = answer.get_string();
    } catch (const std::exception&) {
      // a node that does not answer now is polled anyway; it may come back
    }
    initial_tips.push_back(std::move(tip));
  }
  ProbeState state(initial_tips);
  const int workers = std::max(1, std::min(options.concurrency, nodes));
  ProbeClock::time_point mine_sent;
  ProbeClock::time_point mine_received;
  std::string block;
  {
    std::vector<std::jthread> pollers;
    for (int w = 0; w < workers; ++w) {
      pollers.emplace_back(
          [&, w](std::stop_token stop) { poll_nodes(stop, rpc, state, w, workers, nodes, options.interval); });
    }
    auto stop_pollers = [&] {
      for (auto& poller : pollers) poller.request_stop();
    };
    try {
      // Every node has been asked once (initial_tips); one more round before mining gives each a
      // recent "not yet" to bound its window from below.
      std::this_thread::sleep_for(options.interval);
      mine_sent = ProbeClock::now();
      auto hashes = rpc.call(options.miner, {"generatetoaddress", json::array{1, json::string(options.address)}});
      mine_received = ProbeClock::now();
      if (!hashes.is_array() || hashes.get_array().empty() || !hashes.get_array().front().is_string()) {
        throw CommandError("node " + std::to_string(options.miner) + " mined no block (generatetoaddress answered " +
                           json::serialize(hashes) + ")");
      }
      block = hashes.get_array().front().get_string();
    } catch (...) {
      stop_pollers();
      throw;
    }
    state.set_block(block);
    const auto deadline = mine_received + options.timeout;
    while (!state.all_done() && ProbeClock::now() < deadline) {
      std::this_thread::sleep_for(std::min<ProbeClock::duration>(options.interval, deadline - ProbeClock::now()));
    }
    stop_pollers();
  }

  PropagationReport report;
  report.network = rpc.network_name();
  report.block_hash = block;
  report.miner = options.miner;
  report.concurrency = workers;
  report.interval_ms = static_cast<double>(options.interval.count());
  report.timeout_ms = static_cast<double>(options.timeout.count());
  report.median_round_trip_ms = median_ms(state.round_trips());
  report.failed_polls = state.failed_polls();
  try {
    auto header = rpc.call(options.miner, {"getblockheader", json::array{json::string(block), true}});
    report.height = base::int_at(header, "height").value_or(0);
  } catch (const std::exception&) {
    // the height is a label; the measurement stands without it
  }

  auto polls = state.polls();
  std::vector<std::optional<ArrivalWindow>> windows;
  for (int node = 0; node < nodes; ++node) {
    windows.push_back(arrival_window(polls[static_cast<std::size_t>(node)], mine_sent));
  }
  // The miner had the block once its mining call returned, whatever its polls saw.
  auto& origin = windows[static_cast<std::size_t>(options.miner)];
  if (!origin) origin = ArrivalWindow{mine_sent, mine_received};
  origin->by = std::min(origin->by, mine_received);
  report.nodes = arrival_delays(windows, options.miner, hops);
  return report;
}

}  // namespace kb::cli
