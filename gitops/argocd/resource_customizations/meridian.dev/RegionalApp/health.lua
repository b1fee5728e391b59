-- Argo CD health of a Meridian RegionalApp, from the conditions the operator writes (docs/gitops.md).
-- Degraded when Meridian needs a person (Stalled: a failover held back, a primary other than
-- spec.primaryRegion, a missing policy); Progressing while a failover or switchover runs.
local hs = {}
local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to report the app's status"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to observe generation " .. obj.metadata.generation
  return hs
end
local c = {}
for _, condition in ipairs(status.conditions) do
  c[condition.type] = condition
end
local function said(condition)
  return condition.reason .. ": " .. condition.message
end
if c.Stalled ~= nil and c.Stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = said(c.Stalled)
elseif c.Reconciling ~= nil and c.Reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = said(c.Reconciling)
elseif c.Ready ~= nil and c.Ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "Primary " .. (status.currentPrimary or obj.spec.primaryRegion) .. ", regions healthy " .. (status.healthyRegions or "?")
  -- A standby down leaves the app serving but unprotected: say so without turning it red.
  if c.FailoverReady ~= nil and c.FailoverReady.status == "False" then
    hs.message = hs.message .. "; cannot fail over now (" .. said(c.FailoverReady) .. ")"
  end
elseif c.Ready ~= nil and c.Ready.status == "False" then
  hs.status = "Degraded"
  hs.message = said(c.Ready)
else
  hs.status = "Progressing"
  hs.message = "Waiting for the primary region to be judged"
end
return hs
