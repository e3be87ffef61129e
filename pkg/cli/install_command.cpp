#include "pkg/cli/install_command.hpp"

#include "pkg/base/duration.hpp"
#include "pkg/cli/chart_release.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/install/installer.hpp"
#include "pkg/kube/errors.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <unistd.h>
#include <iostream>

namespace kb::cli {
namespace json = boost::json;

namespace {

constexpr const char* kDefaultNamespace = "bitcoin-controller";

struct InstallFlags {
  ChartFlags chart;
  bool create_namespace = true;
  bool wait = true;
  std::string timeout = "5m";
  std::string dry_run = "none";
  bool force_conflicts = true;
};

std::chrono::milliseconds timeout_or_fail(const std::string& text) {
  auto d = base::parse_duration(text);
  if (!d || d->count() <= 0) throw UsageError("--timeout \"" + text + "\" is not a positive duration such as 5m");
  return *d;
}

std::string install_namespace(const GlobalOptions& global) {
  return global.namespace_name.empty() ? kDefaultNamespace : global.namespace_name;
}

std::string server_version(const kube::Client& client) {
  try {
    auto body = json::parse(client.request("GET", "/version"));
    return std::string(body.at("gitVersion").as_string());
  } catch (const std::exception&) {
    return {};
  }
}

void print_summary(std::ostream& out, const install::InstallReport& report, bool dry_run) {
  int created = 0, configured = 0, unchanged = 0, pruned = 0;
  for (const auto& c : report.changes) {
    created += c.action == install::ChangeAction::created;
    configured += c.action == install::ChangeAction::configured;
    unchanged += c.action == install::ChangeAction::unchanged;
    pruned += c.action == install::ChangeAction::pruned;
  }
  if (!report.changed) {
    out << "No changes: all " << unchanged << " objects are already as rendered"
        << (report.revision ? " (release revision " + std::to_string(report.revision) + ")" : std::string()) << ".\n";
    return;
  }
  out << (dry_run ? "Would change: " : "Done: ") << created << " created, " << configured << " configured, " << pruned
      << " pruned, " << unchanged << " unchanged";
  if (!dry_run) out << " (release revision " << report.revision << ")";
  out << ".\n";
}

void print_failure(std::ostream& err, const install::InstallReport& report) {
  if (report.changes.empty()) return;
  err << "What happened before the failure:\n";
  for (const auto& c : report.changes) {
    err << "  " << c.object << ": " << install::to_string(c.action);
    if (!c.detail.empty()) err << " (" << c.detail << ")";
    err << "\n";
  }
}

int run_install(Context& context, const InstallFlags& flags, bool called_as_upgrade) {
  if (called_as_upgrade) {
    context.err << "upgrade is the same as install: it updates the installed release in place.\n";
  }
  auto timeout = timeout_or_fail(flags.timeout);
  install::DryRun dry_run = flags.dry_run == "client"   ? install::DryRun::client
                            : flags.dry_run == "server" ? install::DryRun::server
                                                        : install::DryRun::none;
  auto client = make_client(context.global, 20, 40);
  auto ns = install_namespace(context.global);
  bool tty = ::isatty(STDOUT_FILENO);
  install::Installer installer(client, [&context, tty](const std::string& line) {
    context.out << (tty ? "  • " : "") << line << "\n" << std::flush;
  });
  std::optional<install::ReleaseRecord> current;
  try {
    current = installer.current_release(flags.chart.release, ns);
  } catch (const std::exception& e) {
    if (!kube::is_not_found(e)) fail_with_kube_error(e, "read the current release");
  }
  RenderOptions render{ns, server_version(client), current.has_value(), current ? current->revision + 1 : 1};
  auto rendered = render_release(flags.chart, render);
  install::InstallRequest request;
  request.release_name = flags.chart.release;
  request.namespace_name = ns;
  request.crds = rendered.crds;
  request.objects = rendered.objects;
  request.manifest_text = rendered.template_output;
  request.notes = rendered.notes;
  request.chart_metadata = rendered.chart_metadata;
  request.chart_values = rendered.chart_values;
  request.user_values = rendered.user_values;
  request.create_namespace = flags.create_namespace;
  request.wait = flags.wait;
  request.timeout = timeout;
  request.dry_run = dry_run;
  request.force_conflicts = flags.force_conflicts;
  context.out << (current ? "Upgrading" : "Installing") << " release " << request.release_name << " in namespace " << ns
              << (dry_run != install::DryRun::none ? " (dry run: " + flags.dry_run + ")" : std::string()) << "\n";
  try {
    auto report = installer.install(request);
    print_summary(context.out, report, dry_run != install::DryRun::none);
  } catch (const install::InstallError& e) {
    print_failure(context.err, e.report());
    throw CommandError(std::string("install failed: ") + e.what());
  } catch (const CommandError&) {
    throw;
  } catch (const std::exception& e) {
    fail_with_kube_error(e, "install");
  }
  return kExitSuccess;
}

struct UninstallFlags {
  std::string release = "bitcoin-controller";
  bool crds = false;
  bool yes = false;
  bool wait = true;
  std::string timeout = "2m";
};

int run_uninstall(Context& context, const UninstallFlags& flags) {
  auto timeout = timeout_or_fail(flags.timeout);
  std::vector<std::string> crd_names;
  if (flags.crds) {
    if (!flags.yes) {
      if (!::isatty(STDIN_FILENO)) {
        throw UsageError(
            "--crds deletes the BitcoinNetwork CRD and with it every network in the cluster; "
            "add --yes to confirm");
      }
      context.out << "--crds deletes the BitcoinNetwork CRD and every network in the cluster. Continue? [y/N] "
                  << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y" && answer != "yes") throw CommandError("cancelled; nothing was deleted");
    }
    ChartFlags chart;
    chart.release = flags.release;
    for (const auto& crd : render_release(chart, {install_namespace(context.global), "", false, 1}).crds) {
      crd_names.push_back(install::name_of(crd.object));
    }
  }
  auto client = make_client(context.global, 20, 40);
  auto ns = install_namespace(context.global);
  install::Installer installer(client, [&context](const std::string& line) { context.out << line << "\n"; });
  try {
    auto report = installer.uninstall(flags.release, ns, {flags.crds, crd_names, flags.wait, timeout});
    context.out << "Release " << flags.release << " uninstalled from namespace " << ns << ".";
    if (!flags.crds) context.out << " The BitcoinNetwork CRD and your networks were kept (use --crds to remove them).";
    context.out << "\n";
  } catch (const install::InstallError& e) {
    print_failure(context.err, e.report());
    throw CommandError(std::string("uninstall failed: ") + e.what());
  } catch (const std::exception& e) {
    fail_with_kube_error(e, "uninstall");
  }
  return kExitSuccess;
}

struct TemplateFlags {
  ChartFlags chart;
  bool include_crds = false;
  std::string kube_version;
};

int run_template(Context& context, const TemplateFlags& flags) {
  auto ns = context.global.namespace_name.empty() ? std::string(kDefaultNamespace) : context.global.namespace_name;
  auto rendered = render_release(flags.chart, {ns, flags.kube_version, false, 1, false});
  context.out << (flags.include_crds ? rendered.template_output_with_crds : rendered.template_output);
  return kExitSuccess;
}

}  // namespace

void add_install_commands(CLI::App& root, Context& context) {
  for (bool upgrade : {false, true}) {
    auto flags = std::make_shared<InstallFlags>();
    auto* command = root.add_subcommand(
        upgrade ? "upgrade" : "install",
        upgrade ? "Same as install: update the installed controller in place"
                : "Install or update the CRD, RBAC and controller (renders the embedded Helm chart)");
    command->footer(
        "The release goes to namespace bitcoin-controller unless -n says otherwise; it is recorded the way\n"
        "Helm records releases, so helm list and helm uninstall see it too.\n\n"
        "Examples:\n"
        "  kubectl bitcoin install\n"
        "  kubectl bitcoin install --set replicaCount=2 --set controller.logLevel=debug\n"
        "  kubectl bitcoin install -f my-values.yaml --dry-run=server\n"
        "  kubectl bitcoin install -n btc --set controller.watchNamespace=btc");
    add_chart_flags(*command, flags->chart);
    command->add_flag("--create-namespace,!--no-create-namespace", flags->create_namespace,
                      "Create the namespace when it does not exist (default true)");
    command->add_flag("--wait,!--no-wait", flags->wait, "Wait until the controller is rolled out (default true)");
    command->add_option("--timeout", flags->timeout, "How long to wait")->capture_default_str();
    command->add_option("--dry-run", flags->dry_run, "client: show what would change; server: also ask the API server")
        ->check(CLI::IsMember({"none", "client", "server"}))
        ->expected(0, 1)
        ->default_str("client");
    command->add_flag("--force-conflicts,!--no-force-conflicts", flags->force_conflicts,
                      "Take ownership of fields other managers set (default true)");
    command->callback([&context, flags, upgrade] { context.exit_code = run_install(context, *flags, upgrade); });
  }

  auto uninstall = std::make_shared<UninstallFlags>();
  auto* u = root.add_subcommand("uninstall", "Remove the controller; keeps the CRD and networks unless --crds");
  u->footer(
      "Examples:\n"
      "  kubectl bitcoin uninstall\n"
      "  kubectl bitcoin uninstall --crds --yes    # also deletes every BitcoinNetwork");
  u->add_option("--release", uninstall->release, "Release name")->capture_default_str();
  u->add_flag("--crds", uninstall->crds, "Also delete the CRD, and with it every network");
  u->add_flag("-y,--yes", uninstall->yes, "Do not ask for confirmation");
  u->add_flag("--wait,!--no-wait", uninstall->wait, "Wait until everything is gone (default true)");
  u->add_option("--timeout", uninstall->timeout, "How long to wait")->capture_default_str();
  u->callback([&context, uninstall] { context.exit_code = run_uninstall(context, *uninstall); });

  auto tmpl = std::make_shared<TemplateFlags>();
  auto* t = root.add_subcommand("template", "Print the manifests install would apply (like helm template)");
  t->footer(
      "Examples:\n"
      "  kubectl bitcoin template\n"
      "  kubectl bitcoin template --include-crds --set replicaCount=2\n"
      "  kubectl bitcoin template --chart ./chart/bitcoin-controller -f values.yaml");
  add_chart_flags(*t, tmpl->chart);
  t->add_flag("--include-crds", tmpl->include_crds, "Include the CRDs in the output");
  t->add_option("--kube-version", tmpl->kube_version, "Kubernetes version for .Capabilities (default: helm's)");
  t->callback([&context, tmpl] { context.exit_code = run_template(context, *tmpl); });
}

}  // namespace kb::cli
