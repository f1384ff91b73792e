-- wrk script: the filtered VM table page with a different text filter on every
-- request (the number cycles through 1,000 values), so no worker can answer it from
-- its query memo: every request scans every row. Used by bench-pages.sh.
local n = 0
request = function()
	n = n + 1
	return wrk.format("GET", "/vms?q=vm" .. (n % 1000) .. "&power=poweredOn&sort=memory&order=desc")
end
