#include "pkg/install/installer.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/base/json_subset.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/kube/conditions.hpp"
#include "pkg/kube/discovery.hpp"
#include "pkg/kube/errors.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace kb::install {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

std::string_view to_string(ChangeAction action) {
  switch (action) {
    case ChangeAction::created:
      return "created";
    case ChangeAction::configured:
      return "configured";
    case ChangeAction::unchanged:
      return "unchanged";
    case ChangeAction::pruned:
      return "pruned";
    case ChangeAction::deleted:
      return "deleted";
    case ChangeAction::failed:
      return "failed";
    case ChangeAction::skipped:
      return "not applied";
  }
  return "";
}

namespace {

constexpr const char* kFieldManager = "kubectl-bitcoin";

std::int64_t int_or_zero(const json::value& v, std::string_view outer, std::string_view inner) {
  return base::int_at(v, outer, inner).value_or(0);
}

// What is left of a run-wide deadline, as options for one wait.
kube::WaitOptions until(Clock::time_point deadline, std::chrono::milliseconds interval, std::stop_token stop) {
  return {.timeout = std::max<Clock::duration>(deadline - Clock::now(), Clock::duration::zero()),
          .interval = interval,
          .stop = std::move(stop)};
}

// kubectl rollout status's test: the controller has seen the latest spec and every replica is
// updated and available, with no old ones left.
bool rolled_out(const json::value& deployment) {
  const auto desired = int_or_zero(deployment, "spec", "replicas");
  const bool observed =
      int_or_zero(deployment, "status", "observedGeneration") >= int_or_zero(deployment, "metadata", "generation");
  return observed && int_or_zero(deployment, "status", "updatedReplicas") == desired &&
         int_or_zero(deployment, "status", "availableReplicas") == desired &&
         int_or_zero(deployment, "status", "replicas") == desired;
}

std::string available_of_desired(const json::value& deployment) {
  return std::to_string(int_or_zero(deployment, "status", "availableReplicas")) + "/" +
         std::to_string(int_or_zero(deployment, "spec", "replicas")) + " available";
}

// The documents of a release manifest ("---"-separated YAML, as `helm template` prints it).
std::vector<json::value> split_manifest(const std::string& text) {
  std::vector<json::value> docs;
  try {
    for (auto& doc : kb::base::parse_yaml_documents(text, "release manifest")) {
      if (doc.is_object()) docs.push_back(std::move(doc));
    }
  } catch (const std::exception&) {
    // A record we cannot read is treated as empty: nothing is pruned rather than the wrong thing.
  }
  return docs;
}

}  // namespace

Installer::Installer(kube::Client client, ProgressSink progress)
    : client_(std::move(client)), discovery_(client_), progress_(std::move(progress)) {}

kube::ResourceRef Installer::ref_for(const json::value& object, const std::string& default_namespace) {
  auto resource = discovery_.resource_for_kind(api_version_of(object), kind_of(object));
  if (!resource) {
    throw std::runtime_error("the cluster does not serve " + kind_of(object) + " in " + api_version_of(object) +
                             " (needed by " + describe(object) + ")");
  }
  auto ref = resource->ref().named(name_of(object));
  if (resource->namespaced) {
    auto ns = namespace_of(object);
    ref = ref.in(ns.empty() ? default_namespace : ns);
  }
  return ref;
}

ChangeAction Installer::apply_object(const json::value& object, const std::string& default_namespace,
                                     const InstallRequest& request) {
  auto ref = ref_for(object, default_namespace);
  json::value desired = object;
  if (!ref.namespace_name.empty()) desired.as_object()["metadata"].as_object()["namespace"] = ref.namespace_name;
  auto live = client_.get_if_exists(ref);
  if (live && base::is_subset(desired, *live)) return ChangeAction::unchanged;
  if (request.dry_run != DryRun::client) {
    client_.apply(ref, desired,
                  {.field_manager = kFieldManager,
                   .force = request.force_conflicts,
                   .dry_run = request.dry_run == DryRun::server});
  }
  return live ? ChangeAction::configured : ChangeAction::created;
}

void Installer::wait_for_crd(const std::string& name, const kube::WaitOptions& options) {
  auto result = kube::wait_for_object(
      client_, kube::refs::custom_resource_definitions(name),
      [](const kube::ObjectState& crd) { return crd && kube::condition_is_true(*crd, "Established"); }, options);
  if (result) return;
  throw std::runtime_error(std::string(kube::to_string(result.outcome)) + " waiting for CustomResourceDefinition " +
                           name + " to be Established");
}

void Installer::wait_for_rollout(const json::value& deployment, const std::string& ns,
                                 const kube::WaitOptions& options) {
  auto name = name_of(deployment);
  auto ref = kube::refs::deployments(ns, name);
  std::string last_line;
  auto report_progress = [&](const json::value& live) {
    std::string line = "waiting for Deployment " + ns + "/" + name + ": " + available_of_desired(live) + ", " +
                       std::to_string(int_or_zero(live, "status", "updatedReplicas")) + " updated";
    if (line != last_line) progress_(line);
    last_line = std::move(line);
  };
  // get, not get_if_exists: the Deployment was just applied, so a 404 is an error worth reporting now.
  auto result = kube::wait_until<json::value>([&] { return client_.get(ref); }, rolled_out, options, report_progress);
  if (result) {
    progress_("Deployment " + ns + "/" + name + " rolled out (" + available_of_desired(*result.last) + ")");
    return;
  }
  if (result.outcome == kube::WaitOutcome::stopped) {
    throw std::runtime_error("stopped waiting for Deployment " + ns + "/" + name + " to roll out");
  }
  // Timed out. Say why: the pods' waiting reasons are what a user needs next.
  std::string why;
  auto pods = client_.list(kube::refs::pods(ns), {.label_selector = "app.kubernetes.io/name=bitcoin-controller"});
  for (const auto& pod : pods.items) {
    const auto* statuses = base::json_at(pod, "status", "containerStatuses");
    if (!statuses || !statuses->is_array()) continue;
    for (const auto& s : statuses->as_array()) {
      const auto* waiting = base::json_at(s, "state", "waiting");
      if (waiting && waiting->is_object()) {
        why += "; pod " + name_of(pod) + " is waiting: " + base::string_at(*waiting, "reason").value_or("unknown");
      }
    }
  }
  throw std::runtime_error("timed out waiting for Deployment " + ns + "/" + name + " to roll out" + why +
                           " (see kubectl -n " + ns + " describe deployment " + name + ")");
}

void Installer::wait_until_gone(const kube::ResourceRef& ref, const kube::WaitOptions& options) {
  auto result = kube::wait_for_object(
      client_, ref, [](const kube::ObjectState& object) { return !object.has_value(); }, options);
  if (result) return;
  throw std::runtime_error(std::string(kube::to_string(result.outcome)) + " waiting for " + ref.describe() +
                           " to be deleted");
}

std::optional<ReleaseRecord> Installer::current_release(const std::string& release, const std::string& ns) {
  auto list = client_.list(kube::refs::secrets(ns), {.label_selector = "owner=helm,name=" + release});
  std::optional<ReleaseRecord> best;
  for (const auto& secret : list.items) {
    std::string problem;
    auto record = decode_release_secret(secret, problem);
    if (!record || record->status != "deployed") continue;
    if (!best || record->revision > best->revision) best = std::move(record);
  }
  return best;
}

json::value Installer::with_default_namespace(const json::value& object, const std::string& ns) {
  json::value with_ns = object;
  if (namespace_of(with_ns).empty() && !ref_for(object, ns).namespace_name.empty()) {
    with_ns.as_object()["metadata"].as_object()["namespace"] = ns;
  }
  return with_ns;
}

std::vector<json::value> Installer::stale_objects(const ReleaseRecord& previous, const std::set<std::string>& rendered,
                                                  const std::string& ns) {
  std::vector<json::value> stale;
  for (const auto& document : split_manifest(previous.manifest)) {
    json::value with_ns;
    try {
      with_ns = with_default_namespace(document, ns);
    } catch (const std::exception&) {
      continue;  // a kind the cluster no longer serves: nothing to prune
    }
    if (!rendered.contains(identity(with_ns))) stale.push_back(std::move(with_ns));
  }
  std::reverse(stale.begin(), stale.end());
  return stale;
}

int Installer::write_release_record(const InstallRequest& request, const std::optional<ReleaseRecord>& previous) {
  const auto& ns = request.namespace_name;
  ReleaseRecord record;
  record.name = request.release_name;
  record.namespace_name = ns;
  record.revision = previous ? previous->revision + 1 : 1;
  const auto now = base::format_time(std::chrono::system_clock::now());
  record.first_deployed = previous ? previous->first_deployed : now;
  record.last_deployed = now;
  record.description = previous ? "Upgrade complete" : "Install complete";
  record.notes = request.notes;
  record.manifest = request.manifest_text;
  record.chart_metadata = request.chart_metadata;
  record.chart_values = request.chart_values;
  record.config = request.user_values;
  if (previous) {
    // Helm marks the previous revision superseded.
    ReleaseRecord old = *previous;
    old.status = "superseded";
    auto old_secret = encode_release_secret(old);
    client_.apply(kube::refs::secrets(ns, release_secret_name(old.name, old.revision)), old_secret,
                  {.field_manager = kFieldManager, .force = true});
  }
  client_.apply(kube::refs::secrets(ns, release_secret_name(record.name, record.revision)),
                encode_release_secret(record), {.field_manager = kFieldManager, .force = true});
  return record.revision;
}

void Installer::wait_for_workloads(const InstallRequest& request, const std::vector<Manifest>& objects,
                                   Clock::time_point deadline, const InstallReport& report) {
  for (const auto& m : objects) {
    if (kind_of(m.object) != "Deployment") continue;
    try {
      wait_for_rollout(m.object, namespace_of(m.object).empty() ? request.namespace_name : namespace_of(m.object),
                       until(deadline, std::chrono::milliseconds(500), request.stop));
    } catch (const std::exception& e) {
      throw InstallError(e.what(), report);
    }
  }
}

// One install: the objects in the order they are applied, and what happened to them so far.
struct Installer::Run {
  const InstallRequest& request;
  const ProgressSink& progress;
  Clock::time_point deadline;
  std::vector<Manifest> objects;            // sorted before anything is applied: a failure lists what
  std::vector<const json::value*> pending;  // was not applied in the order it would have been
  std::size_t done = 0;
  InstallReport report;

  Run(const InstallRequest& r, const ProgressSink& sink)
      : request(r), progress(sink), deadline(Clock::now() + r.timeout), objects(r.objects) {
    sort_for_install(objects);
    for (const auto& m : request.crds) pending.push_back(&m.object);
    for (const auto& m : objects) pending.push_back(&m.object);
  }

  // The error to throw: `what` failed, and everything after it was not applied.
  InstallError fail(const std::exception& e, const std::string& what) {
    report.changes.push_back({what, ChangeAction::failed, e.what()});
    for (std::size_t i = done + 1; i < pending.size(); ++i) {
      report.changes.push_back({describe(*pending[i]), ChangeAction::skipped, ""});
    }
    return InstallError(what + ": " + e.what(), report);
  }

  void record_change(const json::value& object, ChangeAction action) {
    report.changes.push_back({describe(object), action, ""});
    if (action != ChangeAction::unchanged) report.changed = true;
    progress(describe(object) + " " + std::string(to_string(action)) +
             (request.dry_run != DryRun::none && action != ChangeAction::unchanged ? " (dry run)" : ""));
  }
};

// 0. Before anything is written: every object's kind must be served (or come with this release's
// CRDs), and the API server must accept every object it can check now (a server-side dry run; an
// object in a namespace this install creates cannot be checked yet). So a wrong kind or an invalid
// field fails the install with nothing applied, instead of half way through.
void Installer::preflight(Run& run) {
  const auto& request = run.request;
  std::set<std::string> crd_kinds;  // "group/Kind" of the CRDs this release installs
  for (const auto& crd : request.crds) {
    const auto* spec = crd.object.as_object().if_contains("spec");
    const auto* group = spec && spec->is_object() ? spec->as_object().if_contains("group") : nullptr;
    const auto* names = spec && spec->is_object() ? spec->as_object().if_contains("names") : nullptr;
    const auto* kind = names && names->is_object() ? names->as_object().if_contains("kind") : nullptr;
    if (group && group->is_string() && kind && kind->is_string())
      crd_kinds.insert(std::string(group->get_string()) + "/" + std::string(kind->get_string()));
  }
  auto refuse = [&run](const json::value& object, const std::string& problem) {
    for (const auto* pending : run.pending) {
      bool failed = pending == &object;
      run.report.changes.push_back(
          {describe(*pending), failed ? ChangeAction::failed : ChangeAction::skipped, failed ? problem : ""});
    }
    return InstallError("nothing was applied: " + describe(object) + ": " + problem, run.report);
  };
  // Kinds first (discovery only), then the dry runs.
  std::vector<std::pair<const Manifest*, kube::ResourceRef>> checkable;
  for (const auto& m : run.objects) {
    auto api_version = api_version_of(m.object);
    auto slash = api_version.find('/');
    auto group = slash == std::string::npos ? std::string() : api_version.substr(0, slash);
    if (crd_kinds.contains(group + "/" + kind_of(m.object))) continue;  // served once its CRD is installed
    try {
      checkable.emplace_back(&m, ref_for(m.object, request.namespace_name));
    } catch (const std::exception& e) {
      throw refuse(m.object, e.what());
    }
  }
  if (request.dry_run != DryRun::none) return;  // the run itself is the dry run
  for (const auto& [manifest, ref] : checkable) {
    const auto& m = *manifest;
    json::value desired = m.object;
    if (!ref.namespace_name.empty()) desired.as_object()["metadata"].as_object()["namespace"] = ref.namespace_name;
    try {
      if (auto live = client_.get_if_exists(ref); live && base::is_subset(desired, *live)) continue;  // unchanged
      client_.apply(ref, desired, {.field_manager = kFieldManager, .force = request.force_conflicts, .dry_run = true});
    } catch (const std::exception& e) {
      if (kube::is_not_found(e)) continue;  // its namespace does not exist yet
      throw refuse(m.object, e.what());
    }
  }
}

// 1. CRDs, then wait until the API server serves them.
void Installer::install_crds(Run& run) {
  const auto& request = run.request;
  for (const auto& crd : request.crds) {
    try {
      auto action = apply_object(crd.object, "", request);
      run.record_change(crd.object, action);
      if (request.dry_run == DryRun::none && action != ChangeAction::unchanged) {
        progress_("waiting for CustomResourceDefinition " + name_of(crd.object) + " to be Established");
        wait_for_crd(name_of(crd.object), until(run.deadline, std::chrono::milliseconds(250), request.stop));
        discovery_.invalidate();  // the new kind is served now
      }
    } catch (const std::exception& e) {
      throw run.fail(e, describe(crd.object));
    }
    ++run.done;
  }
}

// 2. The namespace.
void Installer::ensure_namespace(Run& run) {
  const auto& ns = run.request.namespace_name;
  if (run.request.create_namespace) {
    json::value namespace_object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    try {
      auto action = apply_object(namespace_object, "", run.request);
      if (action != ChangeAction::unchanged) run.record_change(namespace_object, action);
    } catch (const std::exception& e) {
      throw run.fail(e, "Namespace " + ns);
    }
  } else if (!client_.get_if_exists(kube::refs::namespaces(ns))) {
    throw InstallError("namespace " + ns + " does not exist; create it or pass --create-namespace", run.report);
  }
}

// 3. Everything else, in Helm's order. Returns the identities of what was applied.
std::set<std::string> Installer::apply_rendered(Run& run) {
  const auto& ns = run.request.namespace_name;
  std::set<std::string> rendered;
  for (const auto& m : run.objects) {
    try {
      auto action = apply_object(m.object, ns, run.request);
      run.record_change(m.object, action);
      rendered.insert(identity(with_default_namespace(m.object, ns)));
    } catch (const std::exception& e) {
      throw run.fail(e, describe(m.object));
    }
    ++run.done;
  }
  return rendered;
}

// 4. Prune what the previous revision had and this one does not.
void Installer::prune(Run& run, const ReleaseRecord& previous, const std::set<std::string>& rendered) {
  const auto& ns = run.request.namespace_name;
  for (const auto& object : stale_objects(previous, rendered, ns)) {
    try {
      if (run.request.dry_run == DryRun::none) {
        client_.remove(ref_for(object, ns), {.propagation_policy = "Background"});
      }
      run.record_change(object, ChangeAction::pruned);
    } catch (const std::exception& e) {
      if (!kube::is_not_found(e)) throw run.fail(e, describe(object));
    }
  }
}

InstallReport Installer::install(const InstallRequest& request) {
  Run run(request, progress_);
  preflight(run);
  install_crds(run);
  ensure_namespace(run);
  auto rendered = apply_rendered(run);
  auto previous = current_release(request.release_name, request.namespace_name);
  if (previous) prune(run, *previous, rendered);

  // 5. The release record, only when something changed.
  auto& report = run.report;
  report.revision = previous ? previous->revision : 0;
  if ((report.changed || !previous) && request.dry_run == DryRun::none) {
    report.revision = write_release_record(request, previous);
  }

  // 6. Wait for the workloads.
  if (request.wait && request.dry_run == DryRun::none) wait_for_workloads(request, run.objects, run.deadline, report);
  return report;
}

InstallReport Installer::uninstall(const std::string& release, const std::string& ns, const UninstallOptions& options) {
  InstallReport report;
  auto deadline = Clock::now() + options.timeout;
  auto record = current_release(release, ns);
  if (!record) {
    throw InstallError("release " + release + " is not installed in namespace " + ns +
                           " (see kubectl bitcoin status, or pass -n with the namespace it was installed in)",
                       report);
  }
  std::vector<json::value> objects = split_manifest(record->manifest);
  std::stable_sort(objects.begin(), objects.end(), [](const json::value& a, const json::value& b) {
    return install_rank(kind_of(a)) > install_rank(kind_of(b));
  });
  std::vector<kube::ResourceRef> deleted;
  for (const auto& object : objects) {
    try {
      auto ref = ref_for(object, ns);
      client_.remove(ref, {.propagation_policy = "Foreground"});
      deleted.push_back(ref);
      report.changes.push_back({describe(object), ChangeAction::deleted, ""});
      progress_(describe(object) + " deleted");
    } catch (const std::exception& e) {
      if (kube::is_not_found(e)) continue;
      report.changes.push_back({describe(object), ChangeAction::failed, e.what()});
      throw InstallError("could not delete " + describe(object) + ": " + e.what(), report);
    }
  }
  if (options.delete_crds) {
    // Deleting a CRD deletes every object of its kind: every user's networks.
    for (const auto& name : options.crd_names) {
      try {
        auto ref = kube::refs::custom_resource_definitions(name);
        client_.remove(ref);
        deleted.push_back(ref);
        report.changes.push_back({"CustomResourceDefinition " + name, ChangeAction::deleted, ""});
        progress_("CustomResourceDefinition " + name + " deleted");
      } catch (const std::exception& e) {
        if (!kube::is_not_found(e)) throw InstallError("could not delete CRD " + name + ": " + e.what(), report);
      }
    }
  }
  if (options.wait) {
    for (const auto& ref : deleted) wait_until_gone(ref, until(deadline, std::chrono::milliseconds(250), options.stop));
  }
  // Remove every revision's record.
  auto records = client_.list(kube::refs::secrets(ns), {.label_selector = "owner=helm,name=" + release});
  for (const auto& secret : records.items) {
    try {
      client_.remove(kube::refs::secrets(ns, name_of(secret)));
    } catch (const std::exception& e) {
      if (!kube::is_not_found(e)) throw;
    }
  }
  report.changed = !deleted.empty();
  return report;
}

}  // namespace kb::install
