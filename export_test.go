package kryptos

// OperationRoute is what a test outside the package sees of an operation.
type OperationRoute struct {
	Name, Method, Path string
	Data               bool // below Endpoints.Data
	ByClient, ByUser   bool
}

// OperationRoutes lists every operation of the table.
func OperationRoutes() []OperationRoute {
	var out []OperationRoute
	for _, o := range operations {
		out = append(out, OperationRoute{
			Name: o.name, Method: o.method, Path: o.path, Data: o.api == dataAPI,
			ByClient: o.auth == byClient, ByUser: o.auth == byUser || o.auth == byUserOrAPIKey,
		})
	}
	return out
}
