#include "pkg/kube/client.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/kube/credentials.hpp"
#include "pkg/kube/http_transport.hpp"
#include "pkg/kube/object_meta.hpp"
#include "pkg/kube/rate_limiter.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace kb::kube {
namespace json = boost::json;

namespace {

constexpr int kMaxRetryAfterAttempts = 5;
constexpr std::chrono::seconds kMaxRetryAfter{30};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

std::string header_of(const HeaderList& headers, std::string_view name) {
  for (auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return {};
}

std::optional<std::chrono::seconds> retry_after_of(const HeaderList& headers) {
  std::string value = header_of(headers, "Retry-After");
  if (value.empty()) return std::nullopt;
  try {
    long long seconds = std::stoll(value);
    if (seconds >= 0) return std::chrono::seconds(seconds);
  } catch (...) {
  }
  return std::nullopt;  // HTTP-date form: the API server never sends it
}

std::string path_only(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }

class Query {
 public:
  Query& add(std::string_view key, std::string_view value) {
    if (value.empty()) return *this;
    text_ += text_.empty() ? '?' : '&';
    text_ += key;
    text_ += '=';
    text_ += url_encode(value);
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

void add_write_options(Query& q, bool dry_run, const std::string& field_manager, const std::string& validation = {}) {
  if (dry_run) q.add("dryRun", "All");
  q.add("fieldManager", field_manager);
  q.add("fieldValidation", validation);
}

json::value parse_body(const std::string& body, const std::string& method, const std::string& path) {
  if (body.empty()) return nullptr;
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec)
    throw KubeError("the API server's answer to " + method + " " + path + " is not valid JSON (" + ec.message() + ")");
  return value;
}

}  // namespace

std::string RawResponse::header(std::string_view name) const { return header_of(headers, name); }

struct Client::Impl {
  ClusterConfig config;
  HttpTransport transport;
  CredentialProvider credentials;
  TokenBucket limiter;

  explicit Impl(ClusterConfig c)
      : config(std::move(c)), transport(config), credentials(config), limiter(config.qps, config.burst) {}

  TransportRequest to_transport(const RawRequest& request, const Credentials& creds) const {
    TransportRequest t;
    t.method = request.method;
    t.target = request.path;
    t.body = request.body;
    t.timeout = request.timeout.value_or(config.request_timeout);
    t.headers.emplace_back("User-Agent", config.user_agent);
    if (!request.accept.empty()) t.headers.emplace_back("Accept", request.accept);
    if (!request.body.empty()) t.headers.emplace_back("Content-Type", request.content_type);
    if (!creds.authorization.empty()) t.headers.emplace_back("Authorization", creds.authorization);
    for (auto& h : request.headers) t.headers.push_back(h);
    return t;
  }

  std::mutex metrics_mutex;
  ClientMetrics counters;

  // Waits for the rate limiter and accounts for the wait; false when stop was requested.
  bool wait_for_turn(std::stop_token stop = {}) {
    auto delay = limiter.reserve();
    if (delay > TokenBucket::Clock::duration::zero()) {
      {
        std::lock_guard lock(metrics_mutex);
        counters.rate_limit_wait_seconds += std::chrono::duration<double>(delay).count();
      }
      if (!sleep_for(delay, stop)) return false;
    }
    return !stop.stop_requested();
  }

  void count(int status, std::chrono::steady_clock::duration took = {}) {
    std::lock_guard lock(metrics_mutex);
    ++counters.requests;
    counters.request_seconds += std::chrono::duration<double>(took).count();
    if (status == 0)
      ++counters.transport_errors;
    else if (status < 300)
      ++counters.responses_2xx;
    else if (status < 400)
      ++counters.responses_3xx;
    else if (status < 500)
      ++counters.responses_4xx;
    else
      ++counters.responses_5xx;
  }

  void count_retry(bool credentials_refreshed) {
    std::lock_guard lock(metrics_mutex);
    ++(credentials_refreshed ? counters.credential_refreshes : counters.retries_after);
  }

  // How an exchange counts in the metrics: streams stay open for as long as the caller reads, so
  // their duration is not request time.
  enum class Timing { counted, not_counted };

  // The one retry policy of every request: wait for the rate limiter, send, and on 401 refresh the
  // credentials and send again (once, only when they can change: exec plugin, token file); on
  // 429/503 with Retry-After wait (1 s to 30 s) and send again (a few times). `send` makes one
  // exchange with the given credentials and throws TransportError when there is no answer.
  // Returns the last answer, or nullopt when stop was requested while waiting or sending.
  template <class Send>
  std::optional<TransportResponse> send_with_retries(const Send& send, Timing timing, std::stop_token stop) {
    bool refreshed_auth = false;
    for (int attempt = 0;; ++attempt) {
      if (!wait_for_turn(stop)) return std::nullopt;
      Credentials creds = credentials.current();
      const auto started = std::chrono::steady_clock::now();
      auto took = [&] {
        return timing == Timing::counted ? std::chrono::steady_clock::now() - started
                                         : std::chrono::steady_clock::duration{};
      };
      TransportResponse response;
      try {
        response = send(creds);
      } catch (const TransportError&) {
        count(0, took());
        throw;
      }
      if (stop.stop_requested() && response.status == 0) return std::nullopt;
      count(response.status, took());
      if (response.status == 401 && !refreshed_auth && credentials.refresh_after_unauthorized(creds)) {
        refreshed_auth = true;
        count_retry(true);
        continue;
      }
      if ((response.status == 429 || response.status == 503) && attempt < kMaxRetryAfterAttempts) {
        if (auto wait = retry_after_of(response.headers)) {
          count_retry(false);
          if (!sleep_for(std::min<std::chrono::seconds>(std::max(*wait, std::chrono::seconds(1)), kMaxRetryAfter),
                         stop))
            return std::nullopt;
          continue;
        }
      }
      return response;
    }
  }

  // Every attempt of a write through a fence is checked against it and cut to what is left of it.
  RawResponse execute(const RawRequest& request, const WriteFence* fence) {
    if (request.method == "GET") fence = nullptr;
    auto response = send_with_retries(
        [&](const Credentials& creds) {
          TransportRequest t = to_transport(request, creds);
          if (fence) {
            auto left = fence->remaining();
            if (!left)
              throw FenceClosedError(request.method + " " + path_only(request.path) +
                                     " refused: this replica is not the leader (its term ended)");
            if (t.timeout.count() <= 0 || *left < t.timeout) t.timeout = *left;
          }
          return transport.send(t, creds);
        },
        Timing::counted, {});
    // Without a stop token nothing interrupts the retries, so there is always an answer.
    if (!response) throw KubeError(request.method + " " + path_only(request.path) + " was interrupted");
    return RawResponse{response->status, std::move(response->headers), std::move(response->body)};
  }

  std::string checked(const RawRequest& request, const WriteFence* fence) {
    RawResponse response = execute(request, fence);
    if (response.status >= 300)
      throw decode_api_error(response.status, response.body, request.method, path_only(request.path),
                             retry_after_of(response.headers));
    return std::move(response.body);
  }

  json::value json_call(const WriteFence* fence, std::string method, std::string path, const json::value* body,
                        std::string content_type = "application/json") {
    RawRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    if (body) request.body = json::serialize(*body);
    request.content_type = std::move(content_type);
    std::string text = checked(request, fence);
    return parse_body(text, request.method, path_only(request.path));
  }

  void stream(const std::string& path, const std::function<bool(std::string_view)>& on_data, std::stop_token stop,
              std::chrono::milliseconds idle_timeout, const std::string& accept = "*/*") {
    auto response = send_with_retries(
        [&](const Credentials& creds) {
          RawRequest raw;
          raw.path = path;
          raw.accept = accept;
          TransportRequest request = to_transport(raw, creds);
          request.timeout = {};
          return transport.stream(request, creds, on_data, stop, idle_timeout);
        },
        Timing::not_counted, stop);
    if (!response) return;
    if (response->status >= 300)
      throw decode_api_error(response->status, response->body, "GET", path_only(path),
                             retry_after_of(response->headers));
  }
};

Client::Client(ClusterConfig config) : impl_(std::make_shared<Impl>(std::move(config))) {}

Client Client::with_write_fence(std::shared_ptr<const WriteFence> fence) const {
  Client copy = *this;
  copy.fence_ = std::move(fence);
  return copy;
}

void WriteFence::open_until(Clock::time_point until) {
  until_ = std::max<Clock::rep>(1, until.time_since_epoch().count());
}

void WriteFence::close() { until_ = 0; }

std::optional<std::chrono::milliseconds> WriteFence::remaining() const {
  const Clock::rep until = until_.load();
  if (until == 0) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(Clock::time_point(Clock::duration(until)) - Clock::now());
  if (left.count() <= 0) return std::nullopt;
  return left;
}

Client Client::from_options(const ClientOptions& options) { return Client(load_cluster_config(options)); }

const ClusterConfig& Client::config() const { return impl_->config; }
const std::string& Client::default_namespace() const { return impl_->config.namespace_name; }
void Client::reset_connections() const { impl_->transport.reset(); }

ClientMetrics Client::metrics() const {
  std::lock_guard lock(impl_->metrics_mutex);
  ClientMetrics m = impl_->counters;
  m.connections_opened = impl_->transport.connections_opened();
  return m;
}

std::string list_query(const ListOptions& options) {
  Query q;
  q.add("labelSelector", options.label_selector);
  q.add("fieldSelector", options.field_selector);
  if (options.limit > 0) q.add("limit", std::to_string(options.limit));
  q.add("continue", options.continue_token);
  q.add("resourceVersion", options.resource_version);
  q.add("resourceVersionMatch", options.resource_version_match);
  if (options.timeout_seconds) q.add("timeoutSeconds", std::to_string(*options.timeout_seconds));
  return q.str();
}

std::string watch_query(const WatchOptions& options) {
  Query q;
  q.add("watch", "1");
  q.add("labelSelector", options.label_selector);
  q.add("fieldSelector", options.field_selector);
  q.add("resourceVersion", options.resource_version);
  if (options.allow_bookmarks) q.add("allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) q.add("timeoutSeconds", std::to_string(options.timeout_seconds));
  if (options.send_initial_events) {
    q.add("sendInitialEvents", "true");
    q.add("resourceVersionMatch", "NotOlderThan");
  }
  return q.str();
}

json::value Client::get(const ResourceRef& ref) const {
  return impl_->json_call(fence_.get(), "GET", ref.path(), nullptr);
}

std::optional<json::value> Client::get_if_exists(const ResourceRef& ref) const {
  try {
    return get(ref);
  } catch (const ApiError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

ListResult Client::list_page(const ResourceRef& collection, const ListOptions& options) const {
  json::value list =
      impl_->json_call(fence_.get(), "GET", collection.collection().path() + list_query(options), nullptr);
  ListResult result;
  auto* root = list.if_object();
  if (!root) throw KubeError("the API server's list of " + collection.describe() + " is not a JSON object");
  const std::string api_version = api_version_of(list);
  std::string item_kind = kind_of(list);
  if (item_kind.ends_with("List")) item_kind.resize(item_kind.size() - 4);
  result.resource_version = resource_version_of(list);
  result.continue_token = base::string_at(list, "metadata", "continue").value_or("");
  if (auto* items = root->if_contains("items"); items && items->is_array()) {
    result.items.reserve(items->as_array().size());
    for (auto& item : items->as_array()) {
      json::value copy = std::move(item);
      // The API server leaves apiVersion/kind out of list items; callers want self-describing objects.
      if (auto* o = copy.if_object()) {
        if (!o->contains("apiVersion") && !api_version.empty()) (*o)["apiVersion"] = api_version;
        if (!o->contains("kind") && !item_kind.empty()) (*o)["kind"] = item_kind;
      }
      result.items.push_back(std::move(copy));
    }
  }
  return result;
}

ListResult Client::list(const ResourceRef& collection, const ListOptions& options) const {
  ListOptions page = options;
  ListResult all;
  for (;;) {
    ListResult part;
    try {
      part = list_page(collection, page);
    } catch (const ApiError& e) {
      // The continue token expired mid-way: fall back to one unpaginated list (as client-go's pager does).
      if (!is_gone(e) || page.continue_token.empty()) throw;
      ListOptions full = options;
      full.limit = 0;
      full.continue_token.clear();
      return list_page(collection, full);
    }
    for (auto& item : part.items) all.items.push_back(std::move(item));
    all.resource_version = part.resource_version;
    if (part.continue_token.empty() || options.limit <= 0) break;
    page.continue_token = part.continue_token;
  }
  return all;
}

json::value Client::create(const ResourceRef& collection, const json::value& object,
                           const WriteOptions& options) const {
  Query q;
  add_write_options(q, options.dry_run, options.field_manager, options.field_validation);
  // POST goes to the collection, or to a named object's subresource (serviceaccounts/x/token, pods/x/eviction).
  const std::string path = collection.subresource.empty() ? collection.collection().path() : collection.path();
  return impl_->json_call(fence_.get(), "POST", path + q.str(), &object);
}

json::value Client::update(const ResourceRef& ref, const json::value& object, const WriteOptions& options) const {
  Query q;
  add_write_options(q, options.dry_run, options.field_manager, options.field_validation);
  return impl_->json_call(fence_.get(), "PUT", ref.path() + q.str(), &object);
}

json::value Client::update_status(const ResourceRef& ref, const json::value& object,
                                  const WriteOptions& options) const {
  return update(ref.sub("status"), object, options);
}

json::value Client::remove(const ResourceRef& ref, const DeleteOptions& options) const {
  json::object body{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    json::object pre;
    if (!options.precondition_uid.empty()) pre["uid"] = options.precondition_uid;
    if (!options.precondition_resource_version.empty()) pre["resourceVersion"] = options.precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  if (options.dry_run) body["dryRun"] = json::array{"All"};
  json::value value = std::move(body);
  return impl_->json_call(fence_.get(), "DELETE", ref.path(), &value);
}

json::value Client::patch(const ResourceRef& ref, PatchType type, const json::value& patch,
                          const PatchOptions& options) const {
  std::string content_type;
  switch (type) {
    case PatchType::Merge:
      content_type = "application/merge-patch+json";
      break;
    case PatchType::Json:
      content_type = "application/json-patch+json";
      break;
    case PatchType::StrategicMerge:
      content_type = "application/strategic-merge-patch+json";
      break;
    case PatchType::Apply:
      content_type = "application/apply-patch+yaml";
      break;  // JSON is YAML
  }
  if (type == PatchType::Apply && options.field_manager.empty())
    throw KubeError("server-side apply of " + ref.describe() + " needs a field manager");
  Query q;
  add_write_options(q, options.dry_run, options.field_manager);
  if (type == PatchType::Apply && options.force) q.add("force", "true");
  return impl_->json_call(fence_.get(), "PATCH", ref.path() + q.str(), &patch, content_type);
}

json::value Client::apply(const ResourceRef& ref, const json::value& object, const ApplyOptions& options) const {
  return patch(ref, PatchType::Apply, object, PatchOptions{options.field_manager, options.force, options.dry_run});
}

json::value Client::get_scale(const ResourceRef& ref) const { return get(ref.sub("scale")); }

json::value Client::update_scale(const ResourceRef& ref, std::int64_t replicas, const WriteOptions& options) const {
  json::value body = json::object{{"spec", json::object{{"replicas", replicas}}}};
  return patch(ref.sub("scale"), PatchType::Merge, body, PatchOptions{options.field_manager, false, options.dry_run});
}

RawResponse Client::raw(const RawRequest& request) const { return impl_->execute(request, fence_.get()); }

std::string Client::request(std::string method, std::string path, std::string body, std::string content_type) const {
  RawRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.accept = "*/*";
  return impl_->checked(r, fence_.get());
}

void Client::stream_get(const std::string& path, const std::function<bool(std::string_view)>& on_data,
                        std::stop_token stop, std::chrono::milliseconds idle_timeout) const {
  impl_->stream(path, on_data, stop, idle_timeout);
}

void Client::stream_lines(const std::string& path, const std::function<bool(std::string_view)>& on_line,
                          std::stop_token stop, std::chrono::milliseconds idle_timeout) const {
  std::string pending;
  bool stopped = false;
  impl_->stream(
      path,
      [&](std::string_view data) {
        pending.append(data);
        std::size_t start = 0;
        for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
          if (!on_line(std::string_view(pending).substr(start, nl - start))) {
            stopped = true;
            return false;
          }
        }
        pending.erase(0, start);
        return true;
      },
      stop, idle_timeout);
  if (!stopped && !pending.empty()) on_line(pending);
}

std::string Client::watch(const ResourceRef& collection, const WatchOptions& options,
                          const std::function<bool(const WatchEvent&)>& on_event, std::stop_token stop) const {
  std::string last_rv = options.resource_version;
  WatchDecoder decoder;
  const std::string path = collection.collection().path() + watch_query(options);
  // The server ends the watch after timeout_seconds; allow it a margin before calling the stream dead.
  auto idle =
      std::chrono::milliseconds(std::chrono::seconds(options.timeout_seconds > 0 ? options.timeout_seconds + 30 : 0));
  impl_->stream(
      path,
      [&](std::string_view data) {
        bool keep_going = true;
        decoder.feed(data, [&](WatchEvent&& event) {
          if (!keep_going) return;
          if (event.type == WatchEventType::Error) throw api_error_from_status(event.object, "WATCH", path_only(path));
          std::string rv = resource_version_of(event.object);
          if (!rv.empty()) last_rv = rv;
          if (!on_event(event)) keep_going = false;
        });
        return keep_going;
      },
      stop, idle, "application/json");
  return last_rv;
}

}  // namespace kb::kube
