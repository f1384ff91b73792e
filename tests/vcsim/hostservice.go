// HostServiceSystem for the simulator. govmomi 0.24.2's simulator has none (a host's
// configManager.serviceSystem is unset and StartService answers MethodNotFound), yet
// the portal's host actions start and stop the SSH service of an ESXi host through
// it. This is our own managed object, written after the vSphere API
// (vim.host.ServiceSystem): one per host, registered in the simulator's object map
// and referenced from the host's configManager.serviceSystem.
//
// The host's config.service is the one copy of the state: serviceInfo mirrors it,
// and every change is announced for both objects through Registry.Update, so
// RetrievePropertiesEx and WaitForUpdatesEx (the incremental collector) both see it.
// Faults follow the API: NotFound for an unknown service id, InvalidArgument for an
// unknown start policy.
package main

import (
	"fmt"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// HostServiceSystem embeds the mo type first: the simulator's property collector
// reads properties from the first embedded mo struct.
type HostServiceSystem struct {
	mo.HostServiceSystem

	host *simulator.HostSystem
}

// The services every simulated host lists at least, stopped, as a fresh ESXi does.
var baseServices = []types.HostService{
	{Key: "TSM", Label: "ESXi Shell", Policy: "off"},
	{Key: "TSM-SSH", Label: "SSH", Policy: "off"},
}

// addServiceSystems gives every host of the model a HostServiceSystem. Hosts added
// later through the API (AddHost_Task) get none.
func addServiceSystems() {
	for _, e := range simulator.Map.All("HostSystem") {
		h := e.(*simulator.HostSystem)
		resetServices(h)
		s := &HostServiceSystem{host: h}
		s.Self = types.ManagedObjectReference{Type: "HostServiceSystem"}
		s.ServiceInfo = types.HostServiceInfo{Service: copyServices(h)}
		ref := simulator.Map.Put(s).Reference()
		h.ConfigManager.ServiceSystem = &ref
	}
}

// resetServices gives the host a list of its own (the model may share its template's)
// holding at least baseServices, all of those stopped.
func resetServices(h *simulator.HostSystem) {
	var list []types.HostService
	if h.Config.Service != nil {
		list = append(list, h.Config.Service.Service...)
	}
	for _, b := range baseServices {
		i := indexOf(list, b.Key)
		if i < 0 {
			list = append(list, b)
			continue
		}
		list[i].Running = false
	}
	h.Config.Service = &types.HostServiceInfo{Service: list}
}

func indexOf(list []types.HostService, key string) int {
	for i := range list {
		if list[i].Key == key {
			return i
		}
	}
	return -1
}

func copyServices(h *simulator.HostSystem) []types.HostService {
	return append([]types.HostService(nil), h.Config.Service.Service...)
}

// change runs fn on service id of the host under the host's lock, then publishes the
// new list. A missing id is a NotFound fault, as on ESXi; fn may refuse with a fault.
func (s *HostServiceSystem) change(ctx *simulator.Context, id string, fn func(*types.HostService) types.BaseMethodFault) *soap.Fault {
	var fault *soap.Fault
	ctx.WithLock(s.host, func() {
		list := s.host.Config.Service.Service
		i := indexOf(list, id)
		if i < 0 {
			fault = simulator.Fault(fmt.Sprintf("service %q not found", id), &types.NotFound{})
			return
		}
		if f := fn(&list[i]); f != nil {
			fault = simulator.Fault(fmt.Sprintf("service %q: %T", id, f), f)
			return
		}
		s.publish(ctx)
	})
	return fault
}

// publish mirrors the host's services into serviceInfo and tells the property
// collectors about both changes. Each object gets its own copy of the list.
func (s *HostServiceSystem) publish(ctx *simulator.Context) {
	ctx.Map.Update(s.host, []types.PropertyChange{
		{Name: "config.service.service", Val: copyServices(s.host)},
	})
	ctx.Map.Update(s, []types.PropertyChange{
		{Name: "serviceInfo", Val: types.HostServiceInfo{Service: copyServices(s.host)}},
	})
}

func running(on bool) func(*types.HostService) types.BaseMethodFault {
	return func(svc *types.HostService) types.BaseMethodFault {
		svc.Running = on
		return nil
	}
}

// The method bodies carry both a fault and a response: the simulator sends the
// fault when there is one.

func (s *HostServiceSystem) StartService(ctx *simulator.Context, req *types.StartService) soap.HasFault {
	return &methods.StartServiceBody{Fault_: s.change(ctx, req.Id, running(true)), Res: new(types.StartServiceResponse)}
}

func (s *HostServiceSystem) StopService(ctx *simulator.Context, req *types.StopService) soap.HasFault {
	return &methods.StopServiceBody{Fault_: s.change(ctx, req.Id, running(false)), Res: new(types.StopServiceResponse)}
}

func (s *HostServiceSystem) RestartService(ctx *simulator.Context, req *types.RestartService) soap.HasFault {
	return &methods.RestartServiceBody{Fault_: s.change(ctx, req.Id, running(true)), Res: new(types.RestartServiceResponse)}
}

func (s *HostServiceSystem) UpdateServicePolicy(ctx *simulator.Context, req *types.UpdateServicePolicy) soap.HasFault {
	policy := func(svc *types.HostService) types.BaseMethodFault {
		switch req.Policy {
		case "on", "off", "automatic":
			svc.Policy = req.Policy
			return nil
		}
		return &types.InvalidArgument{InvalidProperty: "policy"}
	}
	return &methods.UpdateServicePolicyBody{Fault_: s.change(ctx, req.Id, policy), Res: new(types.UpdateServicePolicyResponse)}
}

// RefreshServices re-reads the host's services: serviceInfo takes the host's list
// again and both are announced (a client that changed nothing sees the same state).
func (s *HostServiceSystem) RefreshServices(ctx *simulator.Context, req *types.RefreshServices) soap.HasFault {
	ctx.WithLock(s.host, func() { s.publish(ctx) })
	return &methods.RefreshServicesBody{Res: new(types.RefreshServicesResponse)}
}
