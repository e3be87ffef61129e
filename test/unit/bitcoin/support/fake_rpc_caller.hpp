#pragma once
// A FAKE RpcCaller for tests of code above the wire: answers are queued per method (a result
// or an RpcError); the last answer of a method repeats. Every call is recorded.
#include <boost/json/serialize.hpp>
#include <deque>
#include <map>
#include <string>
#include <variant>

#include "pkg/bitcoin/rpc_caller.hpp"

namespace kb::bitcoin::testing {

class FakeRpcCaller : public RpcCaller {
 public:
  using Answer = std::variant<boost::json::value, RpcError>;

  FakeRpcCaller& answer(const std::string& method, Answer answer) {
    answers_[method].push_back(std::move(answer));
    return *this;
  }

  boost::json::value call(std::string_view method, boost::json::array params = {}) override {
    calls.push_back(std::string(method) + " " + boost::json::serialize(params));
    auto it = answers_.find(std::string(method));
    if (it == answers_.end()) throw RpcError(rpc_code::kMethodNotFound, "Method not found", std::string(method));
    auto& queue = it->second;
    Answer next = queue.front();
    if (queue.size() > 1) queue.pop_front();
    if (auto* error = std::get_if<RpcError>(&next)) throw *error;
    return std::get<boost::json::value>(next);
  }

  std::vector<BatchItem> call_batch(const std::vector<RpcRequest>& requests) override {
    std::vector<BatchItem> items;
    for (const auto& request : requests) {
      BatchItem item;
      try {
        item.result = call(request.method, request.params);
      } catch (const RpcError& error) {
        item.error = error;
      }
      items.push_back(std::move(item));
    }
    return items;
  }

  std::vector<std::string> calls;

 private:
  std::map<std::string, std::deque<Answer>> answers_;
};

}  // namespace kb::bitcoin::testing
