#pragma once
// The dashboard's one source of data: a thread that, every refresh period, reads the network the
// page looks at (its object, Events, and each ready node's getpeerinfo through the RPC gateway)
// with the user's credentials, and keeps the last picture. The page's requests only read that
// picture, so however often and however many pages poll, the cluster sees one refresh per period,
// with at most `concurrency` RPC calls in flight.
#include "pkg/cli/network_rpc.hpp"
#include "pkg/kube/client.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

namespace kb::cli {

class DashboardFeed {
 public:
  struct Options {
    std::string namespace_name;
    std::string default_network;  // "" when the command named none: the page lets the user choose
    std::chrono::milliseconds refresh{2000};
    int concurrency = 2;  // getpeerinfo calls in flight (the gateway admits 4 per network)
    GatewayLocation gateway;
  };

  DashboardFeed(kube::Client client, Options options);
  ~DashboardFeed();
  DashboardFeed(const DashboardFeed&) = delete;
  DashboardFeed& operator=(const DashboardFeed&) = delete;

  // The last picture of `network` ("" for the default), and from now on the refresher follows
  // it. {"name": ..., "loading": true} until the first refresh of that network is done;
  // {"choose": true, "networks": [...]} when no network is named at all.
  boost::json::value state(const std::string& network);
  // {"namespace": ..., "networks": [names]} as of the last refresh.
  boost::json::value networks() const;

 private:
  void run(std::stop_token stop);
  boost::json::value picture_of(const std::string& name) const;

  kube::Client client_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::string followed_;
  std::string pictured_;  // the network `picture_` shows
  boost::json::value picture_;
  boost::json::value names_;
  std::jthread thread_;  // last: started when everything it uses exists, joined first
};

}  // namespace kb::cli
