-- wrk script: rotates pre-built requests read from a file, one per line as
-- "PATH<TAB>USER-AGENT<TAB>BODY". Every "@@MID@@" in a body becomes a messageId unique
-- to this run, thread and request, so the gateway's deduplication never short-cuts a write.
-- Arguments (after --): data file, Authorization header value, run tag.

local requests = {}
local index = 1
local counter = 0
local prefix = ""
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("tid", threads)
end

local function split(body, marker)
   local parts, start = {}, 1
   while true do
      local i, j = string.find(body, marker, start, true)
      if not i then break end
      parts[#parts + 1] = string.sub(body, start, i - 1)
      start = j + 1
   end
   parts[#parts + 1] = string.sub(body, start)
   return parts
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   local host = wrk.host .. ":" .. tostring(wrk.port)
   for line in file:lines() do
      local path, agent, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local head = "POST " .. path .. " HTTP/1.1\r\n"
         .. "Host: " .. host .. "\r\n"
         .. "Authorization: " .. args[2] .. "\r\n"
         .. "Content-Type: application/json\r\n"
         .. "User-Agent: " .. agent .. "\r\n"
      requests[#requests + 1] = { head = head, parts = split(body, "@@MID@@") }
   end
   file:close()
   local me = tid or 1
   prefix = args[3] .. "-" .. tostring(me) .. "-"
   index = (me * 7919) % #requests + 1
end

function request()
   local r = requests[index]
   index = index % #requests + 1
   local parts = r.parts
   local out = { parts[1] }
   for k = 2, #parts do
      counter = counter + 1
      out[#out + 1] = prefix .. counter
      out[#out + 1] = parts[k]
   end
   local body = table.concat(out)
   return r.head .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

function done(summary, latency, _)
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"connect_errors":%.0f,'
      .. '"read_errors":%.0f,"write_errors":%.0f,"non_2xx":%.0f,"timeouts":%.0f,'
      .. '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"mean_us":%.1f,"max_us":%.0f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max))
end
