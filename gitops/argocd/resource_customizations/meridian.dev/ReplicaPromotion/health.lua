-- Argo CD health of a Meridian ReplicaPromotion (one failover, switchover or drill), by phase:
-- Suspended while it waits for spec.approved (Argo CD's state for a manual gate), Progressing while
-- it runs, Healthy once Succeeded, Degraded when it Failed or was Aborted (docs/gitops.md).
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to pick up the promotion"
  return hs
end
local stalled = nil
local ready = nil
for _, condition in ipairs(status.conditions or {}) do
  if condition.type == "Stalled" then
    stalled = condition
  elseif condition.type == "Ready" then
    ready = condition
  end
end
local detail = ""
local told = stalled or ready
if told ~= nil then
  detail = ": " .. told.reason .. ": " .. told.message
end
if status.phase == "Succeeded" then
  hs.status = "Healthy"
elseif status.phase == "Failed" or status.phase == "Aborted" then
  hs.status = "Degraded"
elseif stalled ~= nil and stalled.status == "True" and stalled.reason == "AwaitingApproval" then
  hs.status = "Suspended"
else
  hs.status = "Progressing"
end
hs.message = status.phase .. detail
return hs
