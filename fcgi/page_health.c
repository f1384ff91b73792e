/* GET /healthz: no login, no session; 200 {"web":"ok","redis":"ok"} or 503 with
 * "redis":"down" when Redis does not answer a PING. For load balancers and
 * monitoring. */
#include "router.h"
#include "resp.h"
#include "server.h"
#include "store.h"
#include "log.h"

int page_health(struct req *r)
{
	int up = r->app->store && store_ping(r->app->store) == 0;
	json_t *j = json_pack("{s:s,s:s}", "web", "ok", "redis", up ? "ok" : "down");

	if (!up)
		log_warn("health.redis_down", "error=%s",
		         log_q(r->app->store ? r->app->store->errstr : "no store"));
	resp_json(r, up ? 200 : 503, j);
	json_decref(j);
	return 0;
}
