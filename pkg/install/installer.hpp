#pragma once
// Installer: puts a rendered chart into the cluster and takes it out again, the way
// `helm upgrade --install` and `helm uninstall` would, with kubectl's server-side apply.
//
//   CRDs first (applied, then waited for until Established) → the namespace when asked →
//   every other object in Helm's order, applied only when the live object differs →
//   objects of the previous revision that are no longer rendered are pruned →
//   a release record (Helm's format) is written only when something changed →
//   wait for Deployments to roll out.
// A failure stops the run and the report says what was applied and what was not.
#include "pkg/install/manifest.hpp"
#include "pkg/install/release_record.hpp"
#include "pkg/kube/client.hpp"
#include "pkg/kube/discovery.hpp"
#include "pkg/kube/wait.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

namespace kb::install {

enum class DryRun { none, client, server };

struct InstallRequest {
  std::string release_name;
  std::string namespace_name;
  std::vector<Manifest> crds;     // from the chart's crds/ directory (never templated, never pruned)
  std::vector<Manifest> objects;  // rendered templates
  std::string manifest_text;      // as `helm template` prints the objects (for the release record)
  std::string notes;
  boost::json::value chart_metadata;
  boost::json::value chart_values;
  boost::json::value user_values;
  bool create_namespace = false;
  bool wait = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  DryRun dry_run = DryRun::none;
  bool force_conflicts = true;
  std::stop_token stop;  // a stop request ends the waits: the run fails and says what was applied
};

enum class ChangeAction { created, configured, unchanged, pruned, deleted, failed, skipped };
std::string_view to_string(ChangeAction action);

struct ObjectChange {
  std::string object;  // describe(object)
  ChangeAction action;
  std::string detail;  // the server's message for failures
};

struct InstallReport {
  std::vector<ObjectChange> changes;
  int revision = 0;      // the release revision now in the cluster
  bool changed = false;  // anything created, configured or pruned
};

// Thrown when the run could not finish; `report` lists what happened before.
class InstallError : public std::runtime_error {
 public:
  InstallError(std::string message, InstallReport report)
      : std::runtime_error(std::move(message)), report_(std::move(report)) {}
  const InstallReport& report() const { return report_; }

 private:
  InstallReport report_;
};

using ProgressSink = std::function<void(const std::string& line)>;

class Installer {
 public:
  Installer(kube::Client client, ProgressSink progress);

  InstallReport install(const InstallRequest& request);

  struct UninstallOptions {
    bool delete_crds = false;
    std::vector<std::string> crd_names;  // deleted with delete_crds
    bool wait = true;
    std::chrono::milliseconds timeout{std::chrono::minutes(2)};
    std::stop_token stop;  // ends the wait for deletion
  };
  InstallReport uninstall(const std::string& release, const std::string& namespace_name,
                          const UninstallOptions& options);

  // The latest deployed record, or nullopt when the release is not installed.
  std::optional<ReleaseRecord> current_release(const std::string& release, const std::string& namespace_name);

 private:
  struct Run;
  void preflight(Run& run);
  void install_crds(Run& run);
  void ensure_namespace(Run& run);
  std::set<std::string> apply_rendered(Run& run);
  void prune(Run& run, const ReleaseRecord& previous, const std::set<std::string>& rendered);
  kube::ResourceRef ref_for(const boost::json::value& object, const std::string& default_namespace);
  ChangeAction apply_object(const boost::json::value& object, const std::string& default_namespace,
                            const InstallRequest& request);
  void wait_for_crd(const std::string& name, const kube::WaitOptions& options);
  void wait_for_rollout(const boost::json::value& deployment, const std::string& ns, const kube::WaitOptions& options);
  void wait_until_gone(const kube::ResourceRef& ref, const kube::WaitOptions& options);
  // The object with metadata.namespace set to `ns` when its kind is namespaced and it names none.
  boost::json::value with_default_namespace(const boost::json::value& object, const std::string& ns);
  // What the previous revision had and `rendered` (identities) does not, in reverse install order.
  std::vector<boost::json::value> stale_objects(const ReleaseRecord& previous, const std::set<std::string>& rendered,
                                                const std::string& ns);
  // Writes the new revision's record (and marks the previous one superseded); returns the revision.
  int write_release_record(const InstallRequest& request, const std::optional<ReleaseRecord>& previous);
  void wait_for_workloads(const InstallRequest& request, const std::vector<Manifest>& objects,
                          std::chrono::steady_clock::time_point deadline, const InstallReport& report);

  kube::Client client_;
  kube::Discovery discovery_;  // kind → resource, cached for the whole run
  ProgressSink progress_;
};

}  // namespace kb::install
