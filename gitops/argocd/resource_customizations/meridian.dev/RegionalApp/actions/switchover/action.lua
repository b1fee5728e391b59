-- Creates a Switchover ReplicaPromotion for this app, as `kubectl meridian switchover` does, rather
-- than patching spec.primaryRegion: a patched spec differs from Git, and an Application with
-- selfHeal would put the old value back, which Meridian reads as a second switchover, straight
-- back. The promotion is owned by the app (shown under it, never pruned); spec.primaryRegion is
-- then committed to Git afterwards (docs/gitops.md).
local status = obj.status or {}
local current = status.currentPrimary or obj.spec.primaryRegion
local name = obj.metadata.name

if status.handover ~= nil then
  error("switchover: ReplicaPromotion " .. status.handover.promotionRef .. " is already moving the primary of " .. name .. "; one promotion at a time", 0)
end

local target = actionParams["region"]
if target == nil or target == "" then
  local best = nil
  for _, region in ipairs(obj.spec.regions) do
    if region.name ~= current and (best == nil or (region.priority or 0) < (best.priority or 0)) then
      best = region
    end
  end
  if best == nil then
    error("switchover: RegionalApp " .. name .. " has no region besides its primary " .. current, 0)
  end
  target = best.name
end

local known = false
for _, region in ipairs(obj.spec.regions) do
  if region.name == target then
    known = true
  end
end
if not known then
  error("switchover: " .. target .. " is not one of RegionalApp " .. name .. "'s spec.regions", 0)
end
if target == current then
  error("switchover: " .. target .. " is already the primary of " .. name, 0)
end

local promotion = {
  apiVersion = obj.apiVersion,
  kind = "ReplicaPromotion",
  metadata = {
    name = name .. "-switchover-" .. ((status.epoch or 0) + 1) .. "-argocd-" .. os.time(),
    namespace = obj.metadata.namespace,
    ownerReferences = {
      {
        apiVersion = obj.apiVersion,
        kind = obj.kind,
        name = name,
        uid = obj.metadata.uid
      }
    }
  },
  spec = {
    appRef = { name = name },
    targetRegion = target,
    type = "Switchover",
    -- Whoever may run this action approves it; Argo CD's RBAC decides who that is.
    approved = true,
    reason = "switchover from " .. current .. " to " .. target .. " requested in Argo CD"
  }
}
return { { operation = "create", resource = promotion } }
