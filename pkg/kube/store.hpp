#pragma once
// Store: the informer's thread-safe cache of objects, keyed "namespace/name" (or "name").
// Objects are immutable shared pointers: readers keep what they got even if the store moves on.
//
//   store.add_index("owner", index_by_owner_uid());   before the informer starts
//   store.get("ns/name"), store.list(), store.list_namespace("ns"), store.by_index("owner", uid)
//
// Mutators (upsert/erase/replace) are for the Reflector/Informer; controllers only read.
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kb::kube {

using ObjectPtr = std::shared_ptr<const boost::json::value>;
using IndexFunc = std::function<std::vector<std::string>(const boost::json::value&)>;

class Store {
 public:
  void add_index(const std::string& name, IndexFunc func);

  ObjectPtr get(std::string_view key) const;  // nullptr when absent
  ObjectPtr get(std::string_view ns, std::string_view name) const;
  std::vector<ObjectPtr> list() const;  // sorted by key
  std::vector<ObjectPtr> list_namespace(std::string_view ns) const;
  std::vector<ObjectPtr> by_index(const std::string& index, const std::string& value) const;
  std::vector<std::string> index_values(const std::string& index) const;
  std::vector<std::string> keys() const;
  std::size_t size() const;

  // Inserts or replaces; returns the previous object (nullptr when new).
  ObjectPtr upsert(ObjectPtr object);
  // Removes; returns the removed object (nullptr when absent).
  ObjectPtr erase(std::string_view key);
  // Replaces everything (after a relist). Returns the objects that disappeared.
  std::vector<ObjectPtr> replace(std::vector<ObjectPtr> objects);

 private:
  void index_locked(const std::string& key, const boost::json::value& object);
  void unindex_locked(const std::string& key, const boost::json::value& object);

  mutable std::shared_mutex mutex_;
  std::map<std::string, ObjectPtr, std::less<>> objects_;
  std::map<std::string, IndexFunc> index_funcs_;
  // index name -> value -> keys
  std::map<std::string, std::map<std::string, std::set<std::string>>> indexes_;
};

// Index functions for the common cases.
IndexFunc index_by_owner_uid();               // every metadata.ownerReferences[].uid
IndexFunc index_by_controller_uid();          // the ownerReference with controller: true
IndexFunc index_by_label(std::string label);  // the label's value, when present
IndexFunc index_by_namespace();

// The default informer transform: drops metadata.managedFields and the
// kubectl.kubernetes.io/last-applied-configuration annotation (the bulk nobody reads).
void drop_managed_fields(boost::json::value& object);

}  // namespace kb::kube
