#include "pkg/kube/store.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/kube/object_meta.hpp"
#include "pkg/kube/resource_ref.hpp"

#include <mutex>

namespace kb::kube {
namespace json = boost::json;

void Store::add_index(const std::string& name, IndexFunc func) {
  std::unique_lock lock(mutex_);
  index_funcs_[name] = std::move(func);
  auto& index = indexes_[name];
  index.clear();
  for (auto& [key, object] : objects_)
    for (auto& value : index_funcs_[name](*object)) index[value].insert(key);
}

ObjectPtr Store::get(std::string_view key) const {
  std::shared_lock lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

ObjectPtr Store::get(std::string_view ns, std::string_view name) const { return get(object_key(ns, name)); }

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (auto& [key, object] : objects_) out.push_back(object);
  return out;
}

std::vector<ObjectPtr> Store::list_namespace(std::string_view ns) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  std::string prefix = std::string(ns) + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

std::vector<ObjectPtr> Store::by_index(const std::string& index, const std::string& value) const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  auto keys = idx->second.find(value);
  if (keys == idx->second.end()) return out;
  for (auto& key : keys->second) {
    auto it = objects_.find(key);
    if (it != objects_.end()) out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Store::index_values(const std::string& index) const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  for (auto& [value, keys] : idx->second) out.push_back(value);
  return out;
}

std::vector<std::string> Store::keys() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (auto& [key, object] : objects_) out.push_back(key);
  return out;
}

std::size_t Store::size() const {
  std::shared_lock lock(mutex_);
  return objects_.size();
}

void Store::index_locked(const std::string& key, const json::value& object) {
  for (auto& [name, func] : index_funcs_)
    for (auto& value : func(object)) indexes_[name][value].insert(key);
}

void Store::unindex_locked(const std::string& key, const json::value& object) {
  for (auto& [name, func] : index_funcs_) {
    auto& index = indexes_[name];
    for (auto& value : func(object)) {
      auto it = index.find(value);
      if (it == index.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) index.erase(it);
    }
  }
}

ObjectPtr Store::upsert(ObjectPtr object) {
  std::string key = object_key(*object);
  std::unique_lock lock(mutex_);
  ObjectPtr old;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    old = it->second;
    unindex_locked(key, *old);
    it->second = object;
  } else {
    objects_.emplace(key, object);
  }
  index_locked(key, *object);
  return old;
}

ObjectPtr Store::erase(std::string_view key) {
  std::unique_lock lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr old = it->second;
  unindex_locked(it->first, *old);
  objects_.erase(it);
  return old;
}

std::vector<ObjectPtr> Store::replace(std::vector<ObjectPtr> objects) {
  std::map<std::string, ObjectPtr, std::less<>> fresh;
  for (auto& object : objects) fresh[object_key(*object)] = object;
  std::unique_lock lock(mutex_);
  std::vector<ObjectPtr> removed;
  for (auto& [key, object] : objects_)
    if (!fresh.contains(key)) removed.push_back(object);
  objects_ = std::move(fresh);
  for (auto& [name, index] : indexes_) index.clear();
  for (auto& [key, object] : objects_) index_locked(key, *object);
  return removed;
}

IndexFunc index_by_owner_uid() {
  return [](const json::value& object) {
    std::vector<std::string> uids;
    for (auto& owner : owner_references_of(object)) uids.push_back(std::move(owner.uid));
    return uids;
  };
}

IndexFunc index_by_controller_uid() {
  return [](const json::value& object) {
    std::vector<std::string> uids;
    for (auto& owner : owner_references_of(object)) {
      if (owner.controller) uids.push_back(std::move(owner.uid));
    }
    return uids;
  };
}

IndexFunc index_by_label(std::string label) {
  return [label = std::move(label)](const json::value& object) {
    std::vector<std::string> values;
    if (auto value = label_of(object, label)) values.push_back(std::move(*value));
    return values;
  };
}

IndexFunc index_by_namespace() {
  return [](const json::value& object) {
    std::vector<std::string> values;
    if (auto ns = base::string_at(object, "metadata", "namespace")) values.push_back(std::move(*ns));
    return values;
  };
}

void drop_managed_fields(json::value& object) {
  auto* o = object.if_object();
  if (!o) return;
  auto* meta = o->if_contains("metadata");
  if (!meta || !meta->is_object()) return;
  meta->as_object().erase("managedFields");
  if (auto* annotations = meta->as_object().if_contains("annotations"); annotations && annotations->is_object()) {
    annotations->as_object().erase("kubectl.kubernetes.io/last-applied-configuration");
    if (annotations->as_object().empty()) meta->as_object().erase("annotations");
  }
}

}  // namespace kb::kube
