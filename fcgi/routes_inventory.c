/* The inventory routes: list pages and their JSON twins, details, search, the
 * dashboard, topology views and the refresh command. router_find() consults this
 * table after its own (see router.h for the flags). Every route needs a session;
 * handlers read only the vCenters of that session (scope.h). */
#include "router.h"
#include "scope.h"

const struct route inventory_routes[] = {
	/* path                       methods   handler                flags                        params */
	{ "/dashboard",               REQ_GET,  page_dashboard,        ROUTE_LOGIN,                 inv_dashboard_params },
	{ "/refresh",                 REQ_POST, page_refresh,          ROUTE_LOGIN,                 inv_refresh_params },
	{ "/vms",                     REQ_GET,  page_vms,              ROUTE_LOGIN,                 inv_table_params },
	{ "/hosts",                   REQ_GET,  page_hosts,            ROUTE_LOGIN,                 inv_table_params },
	{ "/datastores",              REQ_GET,  page_datastores,       ROUTE_LOGIN,                 inv_table_params },
	{ "/networks",                REQ_GET,  page_networks,         ROUTE_LOGIN,                 inv_table_params },
	{ "/clusters",                REQ_GET,  page_clusters,         ROUTE_LOGIN,                 inv_table_params },
	{ "/vms/",                    REQ_GET,  page_detail,           ROUTE_LOGIN | ROUTE_PREFIX,  inv_perf_params },
	{ "/hosts/",                  REQ_GET,  page_detail,           ROUTE_LOGIN | ROUTE_PREFIX,  inv_perf_params },
	{ "/datastores/",             REQ_GET,  page_detail,           ROUTE_LOGIN | ROUTE_PREFIX,  inv_perf_params },
	{ "/clusters/",               REQ_GET,  page_detail,           ROUTE_LOGIN | ROUTE_PREFIX,  NULL },
	{ "/search",                  REQ_GET,  page_search,           ROUTE_LOGIN,                 inv_search_params },
	{ "/search/suggest",          REQ_GET,  page_search_suggest,   ROUTE_LOGIN,                 inv_search_params },
	{ "/storage",                 REQ_GET,  page_storage,          ROUTE_LOGIN,                 inv_table_params },
	{ "/network-topology",        REQ_GET,  page_network_topology, ROUTE_LOGIN,                 inv_search_params },
	{ "/api/v1/vms",              REQ_GET,  api_v1_list,           ROUTE_LOGIN,                 inv_table_params },
	{ "/api/v1/hosts",            REQ_GET,  api_v1_list,           ROUTE_LOGIN,                 inv_table_params },
	{ "/api/v1/datastores",       REQ_GET,  api_v1_list,           ROUTE_LOGIN,                 inv_table_params },
	{ "/api/v1/networks",         REQ_GET,  api_v1_list,           ROUTE_LOGIN,                 inv_table_params },
	{ "/api/v1/clusters",         REQ_GET,  api_v1_list,           ROUTE_LOGIN,                 inv_table_params },
	{ "/api/v1/search",           REQ_GET,  api_v1_search,         ROUTE_LOGIN,                 inv_search_params },
	{ "/api/v1/charts/capacity",  REQ_GET,  api_v1_charts,         ROUTE_LOGIN,                 inv_table_params },
	{ "/api/v1/charts/trends",    REQ_GET,  api_v1_charts_trends,  ROUTE_LOGIN,                 api_trends_params },
	{ "/api/v1/perf/",            REQ_GET,  api_v1_perf,           ROUTE_LOGIN | ROUTE_PREFIX,  inv_perf_params },
	{ NULL, 0, NULL, 0, NULL },
};
