package manifests

import (
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// rdsBundle is where the image keeps the RDS CA bundle the app checks Postgres against.
const rdsBundle = "/etc/ssl/certs/rds-global-bundle.pem"

// evalCase evaluates the load balancer's settings for one certificate_arn: var.certificate_arn,
// local.https from its own expression, and the listeners' ARNs as their names.
func (c *tfConfig) evalCase(t *testing.T, certificateARN string) *hcl.EvalContext {
	t.Helper()
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{"certificate_arn": cty.StringVal(certificateARN)}),
		},
		Functions: map[string]function.Function{"toset": toset},
	}
	https, diags := c.local(t, "https").Value(ctx)
	if diags.HasErrors() || https.Type() != cty.Bool {
		t.Fatalf("local.https: got %#v (%v), want a bool from var.certificate_arn", https, diags)
	}
	httpsListeners := cty.EmptyTupleVal
	if https.True() {
		httpsListeners = cty.TupleVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"arn": cty.StringVal("https")})})
	}
	ctx.Variables["aws_lb_listener"] = cty.ObjectVal(map[string]cty.Value{
		"http":  cty.ObjectVal(map[string]cty.Value{"arn": cty.StringVal("http")}),
		"https": httpsListeners,
	})
	ctx.Variables["local"] = cty.ObjectVal(map[string]cty.Value{"https": https})
	arn, diags := c.local(t, "api_listener_arn").Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("local.api_listener_arn: %v", diags)
	}
	ctx.Variables["local"] = cty.ObjectVal(map[string]cty.Value{"https": https, "api_listener_arn": arn})
	return ctx
}

// toset is Terraform's toset for a list of strings, enough for the for_each expressions here.
var toset = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
	Type:   function.StaticReturnType(cty.Set(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[0].LengthInt() == 0 {
			return cty.SetValEmpty(cty.String), nil
		}
		return cty.SetVal(args[0].AsValueSlice()), nil
	},
})

// eval returns expr's value in ctx, failing the test on an error.
func eval(t *testing.T, expr hclsyntax.Expression, ctx *hcl.EvalContext) cty.Value {
	t.Helper()
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		t.Fatalf("line %d: %v", expr.Range().Start.Line, diags)
	}
	return v
}

// albAction is what the load balancer does with a request, as a test sees it.
type albAction struct {
	typ    string // forward, redirect, fixed-response
	target string // forward: the target group reference
	status string // redirect and fixed-response: the status code
	proto  string // redirect: the protocol
	port   string // redirect: the port
}

// action reads an action or default_action block in ctx, expanding its dynamic blocks.
func action(t *testing.T, b *hclsyntax.Block, ctx *hcl.EvalContext) albAction {
	t.Helper()
	a := albAction{typ: eval(t, attribute(t, b.Body, "type").Expr, ctx).AsString()}
	if tg, ok := b.Body.Attributes["target_group_arn"]; ok {
		a.target = reference(tg.Expr)
	}
	for _, inner := range b.Body.Blocks {
		typ, body := inner.Type, inner.Body
		if typ == "dynamic" {
			if eval(t, attribute(t, body, "for_each").Expr, ctx).LengthInt() == 0 {
				continue
			}
			typ = inner.Labels[0]
			for _, content := range body.Blocks {
				if content.Type == "content" {
					body = content.Body
				}
			}
		}
		if typ != strings.ReplaceAll(a.typ, "-", "_") {
			t.Errorf("line %d: a %s block in a %s action", inner.TypeRange.Start.Line, typ, a.typ)
		}
		get := func(name string) string {
			if attr, ok := body.Attributes[name]; ok {
				return eval(t, attr.Expr, ctx).AsString()
			}
			return ""
		}
		a.status, a.proto, a.port = get("status_code"), get("protocol"), get("port")
	}
	return a
}

// listener returns the listener resource name's block and whether it exists in ctx (count).
func (c *tfConfig) listener(t *testing.T, name string, ctx *hcl.EvalContext) (*hclsyntax.Block, bool) {
	t.Helper()
	l := c.resource(t, "aws_lb_listener", name)
	if count, ok := l.Body.Attributes["count"]; ok {
		n, _ := eval(t, count.Expr, ctx).AsBigFloat().Int64()
		return l, n > 0
	}
	return l, true
}

// route returns what the listener whose ARN is listenerARN does with a request for path: the
// first listener rule by priority whose path pattern matches, else the default action.
func (c *tfConfig) route(t *testing.T, ctx *hcl.EvalContext, listener *hclsyntax.Block, listenerARN, path string) albAction {
	t.Helper()
	type rule struct {
		priority int64
		patterns []string
		action   albAction
	}
	var rules []rule
	for _, r := range c.blocksOf("resource", "aws_lb_listener_rule") {
		if eval(t, attribute(t, r.Body, "listener_arn").Expr, ctx).AsString() != listenerARN {
			continue
		}
		p, _ := literal(t, attribute(t, r.Body, "priority").Expr).AsBigFloat().Int64()
		ru := rule{priority: p}
		for _, b := range r.Body.Blocks {
			switch b.Type {
			case "action":
				ru.action = action(t, b, ctx)
			case "condition":
				for _, pp := range b.Body.Blocks {
					if pp.Type != "path_pattern" {
						t.Errorf("listener rule %s: condition %s; the test reads path_pattern only", r.Labels[1], pp.Type)
						continue
					}
					for _, v := range literal(t, attribute(t, pp.Body, "values").Expr).AsValueSlice() {
						ru.patterns = append(ru.patterns, v.AsString())
					}
				}
			}
		}
		rules = append(rules, ru)
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].priority < rules[j].priority })
	for _, r := range rules {
		for _, p := range r.patterns {
			if albPathMatch(p, path) {
				return r.action
			}
		}
	}
	for _, b := range listener.Body.Blocks {
		if b.Type == "default_action" {
			return action(t, b, ctx)
		}
	}
	t.Fatalf("listener %s has no default_action", listener.Labels[1])
	return albAction{}
}

// albPathMatch matches a path as an ALB path pattern does: case-sensitive, * any characters
// (slashes too), ? one character.
func albPathMatch(pattern, path string) bool {
	var re strings.Builder
	re.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			re.WriteString(".*")
		case '?':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(path)
}

// TestTerraformLoadBalancerTLSAndRoutes: with a certificate the load balancer serves HTTPS and
// port 80 only redirects to it with a 301; without one port 80 serves as before. Whichever
// listener carries the API forwards the API's paths and /api/v1/health (its health check),
// and answers /metrics and /api/v1/ready with its own 404.
func TestTerraformLoadBalancerTLSAndRoutes(t *testing.T) {
	c := loadTerraform(t)
	forwarded := []string{"/api/v1/health", "/api/v1/todos", "/api/v1/todos/42", "/api/v1/users", "/api/v1/login", "/api/v1/logout", "/api/v1/me"}
	refused := []string{"/metrics", "/metrics/", "/api/v1/ready", "/api/v1/ready/", "/", "/debug/pprof/"}
	tests := []struct {
		name  string
		arn   string
		https bool
	}{
		{"with a certificate", "arn:aws:acm:us-east-1:123456789012:certificate/abc", true},
		// Learner Lab without a certificate: HTTP as today.
		{"without a certificate", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := c.evalCase(t, tt.arn)
			httpL, _ := c.listener(t, "http", ctx)
			httpsL, httpsExists := c.listener(t, "https", ctx)
			if httpsExists != tt.https {
				t.Fatalf("HTTPS listener exists: got %v, want %v", httpsExists, tt.https)
			}
			if got := literal(t, attribute(t, httpL.Body, "port").Expr); !got.Equals(cty.NumberIntVal(80)).True() {
				t.Errorf("http listener port: got %#v, want 80", got)
			}
			api, apiARN := httpL, "http"
			if tt.https {
				api, apiARN = httpsL, "https"
				for _, attr := range []struct{ name, want string }{{"protocol", "HTTPS"}, {"port", "443"}} {
					if got := eval(t, attribute(t, httpsL.Body, attr.name).Expr, ctx); got.Type() == cty.Number {
						if n, _ := got.AsBigFloat().Int64(); attr.want != "443" || n != 443 {
							t.Errorf("https listener %s: got %v, want %s", attr.name, n, attr.want)
						}
					} else if got.AsString() != attr.want {
						t.Errorf("https listener %s: got %s, want %s", attr.name, got.AsString(), attr.want)
					}
				}
				if got := reference(attribute(t, httpsL.Body, "certificate_arn").Expr); got != "var.certificate_arn" {
					t.Errorf("https listener certificate_arn: got %q, want var.certificate_arn", got)
				}
				if pol := literal(t, attribute(t, httpsL.Body, "ssl_policy").Expr).AsString(); !strings.Contains(pol, "TLS13-1-2") {
					t.Errorf("https listener ssl_policy %q: want a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-1-2-...)", pol)
				}
				// Port 80 only redirects, whatever the path.
				for _, path := range append(forwarded, refused...) {
					a := c.route(t, ctx, httpL, "http", path)
					if a != (albAction{typ: "redirect", status: "HTTP_301", proto: "HTTPS", port: "443"}) {
						t.Errorf("http %s: got %+v, want a 301 redirect to HTTPS on 443", path, a)
					}
				}
			}
			if got := eval(t, c.local(t, "api_listener_arn"), ctx).AsString(); got != apiARN {
				t.Errorf("local.api_listener_arn: got %s, want the %s listener", got, apiARN)
			}
			for _, path := range forwarded {
				if a := c.route(t, ctx, api, apiARN, path); a.typ != "forward" || a.target != "aws_lb_target_group.app.arn" {
					t.Errorf("%s %s: got %+v, want forwarded to aws_lb_target_group.app", apiARN, path, a)
				}
			}
			for _, path := range refused {
				if a := c.route(t, ctx, api, apiARN, path); a.typ != "fixed-response" || a.status != "404" {
					t.Errorf("%s %s: got %+v, want the load balancer's own 404", apiARN, path, a)
				}
			}
		})
	}

	// Port 443 opens only with the HTTPS listener; the app's group admits the API port only.
	rule := c.resource(t, "aws_vpc_security_group_ingress_rule", "alb_https")
	for arn, want := range map[string]int{"": 0, "arn:aws:acm:us-east-1:1:certificate/x": 1} {
		ctx := c.evalCase(t, arn)
		ctx.Variables["var"] = cty.ObjectVal(map[string]cty.Value{"certificate_arn": cty.StringVal(arn), "allowed_cidrs": cty.ListVal([]cty.Value{cty.StringVal("0.0.0.0/0")})})
		if got := eval(t, attribute(t, rule.Body, "for_each").Expr, ctx).LengthInt(); got != want {
			t.Errorf("alb_https rules with certificate_arn %q: got %d, want %d", arn, got, want)
		}
	}
}

// TestTerraformMetricsNotRouted: the task serves /metrics on METRICS_ADDR, a port that is in no
// port mapping, no target group and no security group rule.
func TestTerraformMetricsNotRouted(t *testing.T) {
	c := loadTerraform(t)
	locals := &hcl.EvalContext{Variables: map[string]cty.Value{"local": cty.ObjectVal(map[string]cty.Value{
		"app_port":     literal(t, c.local(t, "app_port")),
		"metrics_port": literal(t, c.local(t, "metrics_port")),
	})}}
	env := c.taskEnvironment(t)
	metricsAddr := eval(t, env["METRICS_ADDR"], locals).AsString()
	addr := eval(t, env["ADDR"], locals).AsString()
	if metricsAddr == "" || metricsAddr == addr {
		t.Fatalf("METRICS_ADDR: got %q with ADDR %q, want a port of its own", metricsAddr, addr)
	}
	if got := reference(attribute(t, c.resource(t, "aws_lb_target_group", "app").Body, "port").Expr); got != "local.app_port" {
		t.Errorf("target group port: got %q, want local.app_port", got)
	}
	for _, m := range c.appContainer(t)["portMappings"].(*hclsyntax.TupleConsExpr).Exprs {
		if got := reference(objectItems(t, m)["containerPort"]); got != "local.app_port" {
			t.Errorf("app portMappings containerPort: got %q, want local.app_port only", got)
		}
	}
	for _, typ := range []string{"aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"} {
		for _, r := range c.blocksOf("resource", typ) {
			for _, attr := range []string{"from_port", "to_port"} {
				if a, ok := r.Body.Attributes[attr]; ok && slices.Contains(references(a.Expr), "local.metrics_port") {
					t.Errorf("%s.%s opens the metrics port", typ, r.Labels[1])
				}
			}
		}
	}
	// The load balancer is the only peer of the app: the VPC's range is what it comes from.
	if got := reference(env["TRUSTED_PROXIES"]); got != "data.aws_vpc.default.cidr_block" {
		t.Errorf("TRUSTED_PROXIES: got %q, want data.aws_vpc.default.cidr_block (the load balancer's addresses)", got)
	}
}

// TestTerraformRedisTLSAndAuth: Redis takes TLS and an AUTH token; the token is generated,
// kept in SSM and given to the app as REDIS_PASSWORD; the app dials rediss://.
func TestTerraformRedisTLSAndAuth(t *testing.T) {
	c := loadTerraform(t)
	if n := len(c.blocksOf("resource", "aws_elasticache_cluster")); n != 0 {
		t.Errorf("got %d aws_elasticache_cluster, want none: it takes no AUTH token or TLS for Redis", n)
	}
	rg := c.resource(t, "aws_elasticache_replication_group", "redis")
	for _, name := range []string{"transit_encryption_enabled", "at_rest_encryption_enabled"} {
		if got := literal(t, attribute(t, rg.Body, name).Expr); got != cty.True {
			t.Errorf("redis %s: got %#v, want true", name, got)
		}
	}
	token := reference(attribute(t, rg.Body, "auth_token").Expr)
	if !strings.HasPrefix(token, "random_password.") {
		t.Fatalf("redis auth_token: got %q, want a random_password result", token)
	}
	from := reference(c.taskSecrets(t)["REDIS_PASSWORD"])
	param, ok := strings.CutSuffix(from, ".arn")
	if !ok || !strings.HasPrefix(param, "aws_ssm_parameter.") {
		t.Fatalf("REDIS_PASSWORD valueFrom: got %q, want an SSM parameter's ARN", from)
	}
	p := c.resource(t, "aws_ssm_parameter", strings.TrimPrefix(param, "aws_ssm_parameter."))
	if got := literal(t, attribute(t, p.Body, "type").Expr); got != cty.StringVal("SecureString") {
		t.Errorf("%s type: got %#v, want SecureString", param, got)
	}
	if got := reference(attribute(t, p.Body, "value").Expr); got != token {
		t.Errorf("%s value: got %q, want the auth token %q", param, got, token)
	}
	if got := shape(c.taskEnvironment(t)["REDIS_URL"]); !strings.HasPrefix(got, "rediss://") || strings.Contains(got, "@") {
		t.Errorf("REDIS_URL %q: want rediss:// (TLS) without a password in it", got)
	}
	if refs := references(c.taskEnvironment(t)["REDIS_URL"]); !slices.Contains(refs, "aws_elasticache_replication_group.redis.primary_endpoint_address") {
		t.Errorf("REDIS_URL refers to %v, want the replication group's primary endpoint", refs)
	}
}

// TestTerraformDatabaseTLSAndAppRole: the app checks the database's certificate against the
// RDS bundle in the image and connects as its own role; the migrate container, as the master,
// makes that role before the app starts.
func TestTerraformDatabaseTLSAndAppRole(t *testing.T) {
	c := loadTerraform(t)
	db := c.resource(t, "aws_db_instance", "db")
	master := reference(attribute(t, db.Body, "username").Expr)

	check := func(container string, env map[string]hclsyntax.Expression, wantUser string) {
		t.Helper()
		expr := env["DATABASE_URL"]
		base, query, _ := strings.Cut(shape(expr), "?")
		q, err := url.ParseQuery(query)
		if err != nil || q.Get("sslmode") != "verify-full" || q.Get("sslrootcert") != rdsBundle {
			t.Errorf("%s DATABASE_URL %q: want sslmode=verify-full&sslrootcert=%s", container, shape(expr), rdsBundle)
		}
		if !strings.HasPrefix(base, "postgres://X@") {
			t.Fatalf("%s DATABASE_URL %q: want the user as its only user info", container, shape(expr))
		}
		if refs := references(expr); len(refs) == 0 || refs[0] != wantUser {
			t.Errorf("%s DATABASE_URL user: got %v, want %s", container, refs, wantUser)
		}
		for name, e := range env {
			for _, ref := range references(e) {
				if secretRef(ref) {
					t.Errorf("%s environment %s refers to %s, a secret", container, name, ref)
				}
			}
		}
	}
	check("app", c.taskEnvironment(t), "local.db_app_user")
	if master == "local.db_app_user" || literal(t, c.local(t, "db_app_user")).Equals(literal(t, c.local(t, "db_user"))).True() {
		t.Errorf("the app's user is the master user %s", master)
	}

	migrate := c.container(t, "migrate")
	if got := literal(t, migrate["command"]); !got.Equals(cty.TupleVal([]cty.Value{cty.StringVal("migrate")})).True() {
		t.Errorf("migrate command: got %#v, want [migrate]", got)
	}
	if got := literal(t, migrate["essential"]); got != cty.False {
		t.Errorf("migrate essential: got %#v, want false (it exits when done)", got)
	}
	loop, ok := migrate["environment"].(*hclsyntax.ForExpr)
	if !ok || reference(loop.CollExpr) != "local.migrate_environment" {
		t.Fatalf("migrate environment: want [for name, value in local.migrate_environment : ...]")
	}
	menv := objectItems(t, c.local(t, "migrate_environment"))
	checkNamesRead(t, "the migrate container", sortedKeys(menv))
	check("migrate", menv, master)
	if got := reference(menv["DB_APP_USER"]); got != "local.db_app_user" {
		t.Errorf("migrate DB_APP_USER: got %q, want local.db_app_user", got)
	}

	var waits bool
	if deps, ok := c.appContainer(t)["dependsOn"].(*hclsyntax.TupleConsExpr); ok {
		for _, d := range deps.Exprs {
			items := objectItems(t, d)
			waits = waits || (literal(t, items["containerName"]) == cty.StringVal("migrate") && literal(t, items["condition"]) == cty.StringVal("SUCCESS"))
		}
	}
	if !waits {
		t.Error(`app container: want dependsOn [{containerName = "migrate", condition = "SUCCESS"}], so it starts on a made role`)
	}
}

// TestTerraformDatabaseBackups: backups are on by default and destroy keeps a final snapshot.
func TestTerraformDatabaseBackups(t *testing.T) {
	c := loadTerraform(t)
	db := c.resource(t, "aws_db_instance", "db")
	defaults := map[string]cty.Value{}
	for _, v := range c.blocksOf("variable") {
		if d, ok := v.Body.Attributes["default"]; ok {
			defaults["var."+v.Labels[0]] = literal(t, d.Expr)
		}
	}
	tests := []struct {
		attr string
		want cty.Value
	}{
		{"backup_retention_period", cty.NumberIntVal(7)},
		{"skip_final_snapshot", cty.False},
		{"deletion_protection", cty.False}, // deploy down must be able to remove the stack
	}
	for _, tt := range tests {
		expr := attribute(t, db.Body, tt.attr).Expr
		got, ok := defaults[reference(expr)]
		if !ok {
			got = literal(t, expr)
		}
		if !got.Equals(tt.want).True() {
			t.Errorf("aws_db_instance.db %s: got %#v by default, want %#v", tt.attr, got, tt.want)
		}
	}
	if got := shape(attribute(t, db.Body, "final_snapshot_identifier").Expr); !strings.Contains(got, "final") {
		t.Errorf("final_snapshot_identifier: got %q, want a name for the final snapshot", got)
	}
}

// TestDockerfileRDSBundle: the build stage fetches the RDS CA bundle and the final image holds
// it where DATABASE_URL's sslrootcert points.
func TestDockerfileRDSBundle(t *testing.T) {
	stages := parseDockerfile(t)
	var fetched string
	for _, s := range stages[:len(stages)-1] {
		for _, run := range s.all("RUN") {
			if strings.Contains(run, "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem") {
				fetched = run
			}
		}
	}
	if fetched == "" {
		t.Fatal("no build stage fetches https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem")
	}
	var copied bool
	for _, cp := range stages[len(stages)-1].all("COPY") {
		f := strings.Fields(cp)
		copied = copied || (strings.HasPrefix(f[0], "--from=") && f[len(f)-1] == rdsBundle)
	}
	if !copied {
		t.Errorf("final stage: no COPY --from=<build> ... %s", rdsBundle)
	}
}
