#pragma once
// Client: a thread-safe, cheaply copyable handle to one API server (copies share the connection
// pool, the rate limiter and the credentials).
//
//   Client client = Client::from_options({.context = "kind-x"});   or Client(load_cluster_config(o))
//   json::value pod  = client.get(refs::pods("ns", "p"));           throws ApiError (is_not_found(e))
//   ListResult  all  = client.list(refs::pods("ns"), {.label_selector = "app=x"});   follows `continue`
//   client.create(refs::secrets("ns"), secret);  client.update(ref, obj);  client.remove(ref, {...});
//   client.patch(ref, PatchType::Merge, patch);  client.apply(ref, obj, {.field_manager = "x"});  (SSA)
//   client.update_status(ref, obj);  client.get_scale(ref);  client.update_scale(ref, 3);
//   client.request("GET", "/api/v1/namespaces/ns/pods/p/log?tailLines=10")   raw, throws on >= 400
//   client.stream_get(path, on_chunk, stop)                                   e.g. pods/log?follow=true
//   client.watch(refs::pods("ns"), {.resource_version = rv}, on_event, stop)  one watch connection
//
// Every request: client-side token bucket (qps/burst), connect and request timeouts, keep-alive
// connections (a small pool), Retry-After honoured on 429/503 (a few retries), credentials
// refreshed and the request retried once on 401 when they can change (exec plugin, token file).
//
// A Client may carry a WriteFence (with_write_fence): then every request but GET is refused with
// FenceClosedError while the fence is closed, and is given up when the fence closes (its timeout is
// cut to what is left), so no write of this client is sent or awaited outside the fence's term.
// The leader elector holds the fence open until the renew deadline of the current term.
#include "pkg/kube/cluster_config.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/resource_ref.hpp"
#include "pkg/kube/watch_event.hpp"

#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::kube {

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::int64_t limit = 0;              // page size; 0: server default (no paging)
  std::string continue_token;          // to fetch one page yourself with list_page()
  std::string resource_version;        // "" (consistent read), "0" (any, from cache), or an RV
  std::string resource_version_match;  // "NotOlderThan" / "Exact"
  std::optional<int> timeout_seconds;
};

struct ListResult {
  std::vector<boost::json::value> items;  // each item has apiVersion/kind filled in from the list
  std::string resource_version;           // the list's resourceVersion: start a watch from here
  std::string continue_token;             // non-empty only from list_page()
};

struct WriteOptions {
  bool dry_run = false;          // dryRun=All
  std::string field_manager;     // fieldManager
  std::string field_validation;  // "Strict", "Warn", "Ignore"; empty: server default
};

struct DeleteOptions {
  std::string propagation_policy;  // "Foreground", "Background", "Orphan"; empty: server default
  std::optional<std::int64_t> grace_period_seconds;
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
};

enum class PatchType { Merge, Json, StrategicMerge, Apply };

struct PatchOptions {
  std::string field_manager;  // required for Apply
  bool force = false;         // Apply only: take ownership of conflicting fields
  bool dry_run = false;
};

struct ApplyOptions {
  std::string field_manager;  // required
  bool force = false;
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // start after this RV; "" means "start at the most recent"
  bool allow_bookmarks = true;
  int timeout_seconds = 300;  // server closes the watch after this; the caller rewatches
  bool send_initial_events = false;
};

// A request with full control; `path` includes the query string.
struct RawRequest {
  std::string method = "GET";
  std::string path;
  std::string body;
  std::string content_type = "application/json";
  std::string accept = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::chrono::milliseconds> timeout;  // overrides the client's request_timeout
};

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;  // case-insensitive; "" when absent
};

// Counters since the Client was made (shared by its copies), for pkg/observe to export.
struct ClientMetrics {
  std::uint64_t requests = 0;  // HTTP exchanges, retries included
  std::uint64_t responses_2xx = 0, responses_3xx = 0, responses_4xx = 0, responses_5xx = 0;
  std::uint64_t transport_errors = 0;      // no answer (connect, TLS, timeout, closed)
  std::uint64_t retries_after = 0;         // 429/503 retried after Retry-After
  std::uint64_t credential_refreshes = 0;  // 401 answered by re-running the exec plugin / re-reading the token
  double rate_limit_wait_seconds = 0;      // time spent waiting for the client-side token bucket
  double request_seconds = 0;              // total time of non-streaming exchanges
  std::uint64_t connections_opened = 0;
};

// Open until a point in time, or closed. Thread-safe; shared by the elector and the clients it fences.
class WriteFence {
 public:
  using Clock = std::chrono::steady_clock;
  void open_until(Clock::time_point until);
  void close();
  // What is left of the term (positive), or nullopt when closed.
  std::optional<std::chrono::milliseconds> remaining() const;

 private:
  std::atomic<Clock::rep> until_{0};  // time_since_epoch in Clock ticks; 0: closed
};

class Client {
 public:
  explicit Client(ClusterConfig config);
  static Client from_options(const ClientOptions& options);

  const ClusterConfig& config() const;
  const std::string& default_namespace() const;

  boost::json::value get(const ResourceRef& ref) const;
  std::optional<boost::json::value> get_if_exists(const ResourceRef& ref) const;          // nullopt on 404
  ListResult list(const ResourceRef& collection, const ListOptions& options = {}) const;  // all pages
  ListResult list_page(const ResourceRef& collection, const ListOptions& options) const;  // one page
  // POSTs to the collection (a name in `collection` is ignored), or, when a subresource is set, to
  // that subresource of the named object (e.g. serviceaccounts/x/token, pods/x/eviction).
  boost::json::value create(const ResourceRef& collection, const boost::json::value& object,
                            const WriteOptions& options = {}) const;
  boost::json::value update(const ResourceRef& ref, const boost::json::value& object,
                            const WriteOptions& options = {}) const;
  boost::json::value update_status(const ResourceRef& ref, const boost::json::value& object,
                                   const WriteOptions& options = {}) const;
  // Returns what the server returned: the object (when finalizers keep it) or a Status.
  boost::json::value remove(const ResourceRef& ref, const DeleteOptions& options = {}) const;
  boost::json::value patch(const ResourceRef& ref, PatchType type, const boost::json::value& patch,
                           const PatchOptions& options = {}) const;
  boost::json::value apply(const ResourceRef& ref, const boost::json::value& object, const ApplyOptions& options) const;
  boost::json::value get_scale(const ResourceRef& ref) const;
  boost::json::value update_scale(const ResourceRef& ref, std::int64_t replicas,
                                  const WriteOptions& options = {}) const;

  // Raw access. raw() never throws on an HTTP status; request() throws ApiError on >= 400 and
  // returns the body.
  RawResponse raw(const RawRequest& request) const;
  std::string request(std::string method, std::string path, std::string body = {},
                      std::string content_type = "application/json") const;

  // Streaming GET: on_data gets body bytes as they arrive (chunk boundaries are arbitrary);
  // return false to stop. Returns when the server ends the body, on_data returns false, or stop
  // is requested. Throws ApiError on an HTTP error status, TransportError on failure.
  // `idle_timeout` bounds the wait for each read (0: none).
  void stream_get(const std::string& path, const std::function<bool(std::string_view)>& on_data,
                  std::stop_token stop = {}, std::chrono::milliseconds idle_timeout = {}) const;
  // Same, delivering complete lines (without the '\n'); a trailing partial line is delivered at the end.
  void stream_lines(const std::string& path, const std::function<bool(std::string_view)>& on_line,
                    std::stop_token stop = {}, std::chrono::milliseconds idle_timeout = {}) const;

  // One watch connection. Calls on_event for each event until the server closes the stream
  // (timeout_seconds elapsed), on_event returns false, or stop is requested. An ERROR event is
  // thrown as ApiError (is_gone(e) for an expired resourceVersion: relist). Returns the last
  // resourceVersion seen (from objects and bookmarks), or options.resource_version if none.
  std::string watch(const ResourceRef& collection, const WatchOptions& options,
                    const std::function<bool(const WatchEvent&)>& on_event, std::stop_token stop = {}) const;

  // A copy (sharing connections, limiter, credentials) whose writes go through `fence`.
  Client with_write_fence(std::shared_ptr<const WriteFence> fence) const;

  // Drops pooled connections (e.g. after the server's certificate changed).
  void reset_connections() const;
  ClientMetrics metrics() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::shared_ptr<const WriteFence> fence_;
};

// The query string ("?a=b&c=d", or "") for list/watch options.
std::string list_query(const ListOptions& options);
std::string watch_query(const WatchOptions& options);

}  // namespace kb::kube
