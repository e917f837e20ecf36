package manifests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/zclconf/go-cty/cty"
)

// tfConfig is terraform/*.tf parsed with the HCL native syntax parser.
type tfConfig struct {
	blocks []*hclsyntax.Block // top-level blocks of every file
}

// loadTerraform parses every terraform/*.tf file.
func loadTerraform(t *testing.T) *tfConfig {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "terraform", "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no terraform/*.tf files (err %v)", err)
	}
	parser := hclparse.NewParser()
	c := &tfConfig{}
	for _, path := range paths {
		f, diags := parser.ParseHCLFile(path)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %v", path, diags)
		}
		c.blocks = append(c.blocks, f.Body.(*hclsyntax.Body).Blocks...)
	}
	return c
}

// blocksOf returns the top-level blocks of one type ("resource", "variable", ...) whose labels
// start with labels.
func (c *tfConfig) blocksOf(typ string, labels ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range c.blocks {
		if b.Type == typ && len(b.Labels) >= len(labels) && slices.Equal(b.Labels[:len(labels)], labels) {
			out = append(out, b)
		}
	}
	return out
}

// resource returns the one resource block typ.name, failing the test when it is missing.
func (c *tfConfig) resource(t *testing.T, typ, name string) *hclsyntax.Block {
	t.Helper()
	bs := c.blocksOf("resource", typ, name)
	if len(bs) != 1 {
		t.Fatalf("resource %s.%s: found %d, want 1", typ, name, len(bs))
	}
	return bs[0]
}

// local returns the expression of local.name.
func (c *tfConfig) local(t *testing.T, name string) hclsyntax.Expression {
	t.Helper()
	for _, b := range c.blocksOf("locals") {
		if a, ok := b.Body.Attributes[name]; ok {
			return a.Expr
		}
	}
	t.Fatalf("local.%s is not defined", name)
	return nil
}

// appContainer returns the items of the "app" container in the task definition's
// container_definitions = jsonencode([...]).
func (c *tfConfig) appContainer(t *testing.T) map[string]hclsyntax.Expression {
	t.Helper()
	return c.container(t, "app")
}

// container returns the items of the container called name in the task definition.
func (c *tfConfig) container(t *testing.T, name string) map[string]hclsyntax.Expression {
	t.Helper()
	attr := attribute(t, c.resource(t, "aws_ecs_task_definition", "app").Body, "container_definitions")
	call, ok := attr.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
		t.Fatalf("container_definitions: want jsonencode([...]) written in HCL, got %T", attr.Expr)
	}
	list, ok := call.Args[0].(*hclsyntax.TupleConsExpr)
	if !ok {
		t.Fatalf("container_definitions: want a list of containers, got %T", call.Args[0])
	}
	for _, e := range list.Exprs {
		items := objectItems(t, e)
		if n, ok := items["name"]; ok && literal(t, n) == cty.StringVal(name) {
			return items
		}
	}
	t.Fatalf("container_definitions has no container named %q", name)
	return nil
}

// taskNames returns every environment name the app container gets, plain or secret, mapped to
// "environment" or "secret".
func (c *tfConfig) taskNames(t *testing.T) map[string]string {
	t.Helper()
	names := map[string]string{}
	for name := range c.taskEnvironment(t) {
		names[name] = "environment"
	}
	for name := range c.taskSecrets(t) {
		names[name] = "secret"
	}
	return names
}

// taskEnvironment returns the container's plain environment: it must be built from
// local.app_environment, whose items are returned.
func (c *tfConfig) taskEnvironment(t *testing.T) map[string]hclsyntax.Expression {
	t.Helper()
	env, ok := c.appContainer(t)["environment"]
	if !ok {
		t.Fatal("app container has no environment")
	}
	loop, ok := env.(*hclsyntax.ForExpr)
	if !ok || reference(loop.CollExpr) != "local.app_environment" {
		t.Fatalf("app container environment: want [for name, value in local.app_environment : ...], got %T", env)
	}
	return objectItems(t, c.local(t, "app_environment"))
}

// taskSecrets returns the app container's secrets: name to the valueFrom expression.
func (c *tfConfig) taskSecrets(t *testing.T) map[string]hclsyntax.Expression {
	t.Helper()
	return c.secretsOf(t, "app")
}

// secretsOf returns the secrets of the container called name.
func (c *tfConfig) secretsOf(t *testing.T, name string) map[string]hclsyntax.Expression {
	t.Helper()
	secrets := map[string]hclsyntax.Expression{}
	expr, ok := c.container(t, name)["secrets"]
	if !ok {
		return secrets
	}
	list, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		t.Fatalf("app container secrets: want a list, got %T", expr)
	}
	for _, e := range list.Exprs {
		items := objectItems(t, e)
		secrets[literal(t, items["name"]).AsString()] = items["valueFrom"]
	}
	return secrets
}

// attribute returns body's attribute name, failing the test when it is missing.
func attribute(t *testing.T, body *hclsyntax.Body, name string) *hclsyntax.Attribute {
	t.Helper()
	a, ok := body.Attributes[name]
	if !ok {
		t.Fatalf("attribute %s missing (line %d)", name, body.SrcRange.Start.Line)
	}
	return a
}

// objectItems returns the items of an object constructor { key = value, ... } by key.
func objectItems(t *testing.T, expr hclsyntax.Expression) map[string]hclsyntax.Expression {
	t.Helper()
	obj, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Fatalf("want an object { ... } at line %d, got %T", expr.Range().Start.Line, expr)
	}
	items := map[string]hclsyntax.Expression{}
	for _, item := range obj.Items {
		key := hcl.ExprAsKeyword(item.KeyExpr)
		if key == "" {
			v, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String {
				t.Fatalf("object key at line %d is not a plain name", item.KeyExpr.Range().Start.Line)
			}
			key = v.AsString()
		}
		items[key] = item.ValueExpr
	}
	return items
}

// literal returns the value of an expression that refers to nothing.
func literal(t *testing.T, expr hclsyntax.Expression) cty.Value {
	t.Helper()
	if expr == nil {
		t.Fatal("missing value")
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("want a literal at line %d: %v", expr.Range().Start.Line, diags)
	}
	return v
}

// reference returns "a.b.c" for an expression that is only a reference, else "".
func reference(expr hclsyntax.Expression) string {
	tr, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() {
		return ""
	}
	return traversalString(tr)
}

// references returns every reference an expression makes, as "a.b.c" (index steps left out).
func references(expr hclsyntax.Expression) []string {
	var out []string
	for _, tr := range expr.Variables() {
		out = append(out, traversalString(tr))
	}
	return out
}

func traversalString(tr hcl.Traversal) string {
	var parts []string
	for _, step := range tr {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		}
	}
	return strings.Join(parts, ".")
}

// shape returns a string template with each interpolation replaced by "X", showing the
// template's literal structure ("postgres://X@X:X/taskoverflow").
func shape(expr hclsyntax.Expression) string {
	tmpl, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, part := range tmpl.Parts {
		if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
			b.WriteString(lit.Val.AsString())
		} else {
			b.WriteString("X")
		}
	}
	return b.String()
}

// secretRef reports whether a reference reads the generated password or where it is kept.
func secretRef(ref string) bool {
	return strings.HasPrefix(ref, "random_password.") ||
		(strings.HasPrefix(ref, "aws_ssm_parameter.") && !strings.HasSuffix(ref, ".arn")) ||
		strings.HasSuffix(ref, ".password")
}

func TestTerraformFormatted(t *testing.T) {
	execPath, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("terraform not found in PATH: %v", err)
		}
		t.Skipf("terraform not found in PATH, format not checked: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir, err := filepath.Abs(filepath.Join(repoRoot, "terraform"))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := tfexec.NewTerraform(dir, execPath)
	if err != nil {
		t.Fatal(err)
	}
	ok, unformatted, err := tf.FormatCheck(ctx, tfexec.Recursive(true))
	if err != nil {
		t.Fatalf("terraform fmt -check -recursive: %v", err)
	}
	if !ok {
		t.Errorf("terraform fmt -check: got unformatted files %v, want none (run terraform fmt -recursive terraform)", unformatted)
	}

	// fmt only reads *.tf and *.tfvars: the example is checked through stdin.
	example := string(readFile(t, "terraform/terraform.tfvars.example"))
	formatted, err := tf.FormatString(ctx, example)
	if err != nil {
		t.Fatalf("terraform fmt of terraform.tfvars.example: %v", err)
	}
	if formatted != example {
		t.Errorf("terraform.tfvars.example is not formatted as terraform fmt writes it")
	}
}

func TestTerraformTaskEnvironment(t *testing.T) {
	c := loadTerraform(t)
	names := sortedKeys(c.taskNames(t))
	checkNamesRead(t, "the ECS task definition", names)
	checkImportant(t, "the ECS task definition", names)

	env := c.taskEnvironment(t)
	if got := literal(t, env["LOG_FORMAT"]); got != cty.StringVal("json") {
		t.Errorf("LOG_FORMAT: got %#v, want json (CloudWatch Logs Insights reads JSON fields)", got)
	}
	// Pool sizes are variables, so they can be tuned without editing the configuration.
	for name, variable := range map[string]string{
		"DB_MAX_CONNS":     "var.db_max_conns",
		"DB_MIN_CONNS":     "var.db_min_conns",
		"REDIS_MAX_ACTIVE": "var.redis_max_active",
		"REDIS_MAX_IDLE":   "var.redis_max_idle",
	} {
		if got := references(env[name]); !slices.Contains(got, variable) {
			t.Errorf("%s: got references %v, want %s", name, got, variable)
		}
	}
}

// TestTerraformPasswordIsASecret: the app's database password reaches the app's role (made by
// the migrate container) and the app's DB_PASSWORD secret; the master password reaches the
// database and the migrate container's secret only. Neither is in a plain environment, a URL
// or an output.
func TestTerraformPasswordIsASecret(t *testing.T) {
	c := loadTerraform(t)

	// stored follows a secret's valueFrom to the SSM parameter and returns the random_password
	// it stores.
	stored := func(container, name string) (param, value string) {
		t.Helper()
		secrets := c.secretsOf(t, container)
		from, ok := secrets[name]
		if !ok {
			t.Fatalf("%s container secrets: got %v, want %s", container, sortedKeys(secrets), name)
		}
		ref := reference(from)
		param, found := strings.CutSuffix(ref, ".arn")
		if !found || !strings.HasPrefix(param, "aws_ssm_parameter.") {
			t.Fatalf("%s %s valueFrom: got %q, want the ARN of an aws_ssm_parameter", container, name, ref)
		}
		p := c.resource(t, "aws_ssm_parameter", strings.TrimPrefix(param, "aws_ssm_parameter."))
		if got := literal(t, attribute(t, p.Body, "type").Expr); got != cty.StringVal("SecureString") {
			t.Errorf("%s type: got %#v, want SecureString", param, got)
		}
		value = reference(attribute(t, p.Body, "value").Expr)
		if !strings.HasPrefix(value, "random_password.") {
			t.Errorf("%s value: got %q, want a random_password result", param, value)
		}
		return param, value
	}
	appParam, appPassword := stored("app", "DB_PASSWORD")
	masterParam, masterPassword := stored("migrate", "DB_PASSWORD")
	if roleParam, _ := stored("migrate", "DB_APP_PASSWORD"); roleParam != appParam {
		t.Errorf("migrate DB_APP_PASSWORD: got %s, want the app's DB_PASSWORD parameter %s", roleParam, appParam)
	}
	if appPassword == masterPassword {
		t.Errorf("the app's DB_PASSWORD is the master password %s; want a role of its own", masterPassword)
	}
	db := c.resource(t, "aws_db_instance", "db")
	if got := reference(attribute(t, db.Body, "password").Expr); got != masterPassword {
		t.Errorf("aws_db_instance.db password: got %q, want the master secret %q", got, masterPassword)
	}
	for name, ref := range c.taskSecrets(t) {
		if reference(ref) == masterParam+".arn" {
			t.Errorf("app container secret %s is the master password; only the migrate container may read it", name)
		}
	}

	for name, expr := range c.taskEnvironment(t) {
		for _, ref := range references(expr) {
			if secretRef(ref) {
				t.Errorf("plain environment %s refers to %s, a secret", name, ref)
			}
		}
	}
	if url := shape(c.taskEnvironment(t)["DATABASE_URL"]); regexp.MustCompile(`://[^/@]*:[^/@]*@`).MatchString(url) {
		t.Errorf("DATABASE_URL %q carries a password, want it in DB_PASSWORD only", url)
	}
	for name, expr := range c.appContainer(t) {
		if name == "secrets" {
			continue
		}
		for _, ref := range references(expr) {
			if secretRef(ref) {
				t.Errorf("app container %s refers to %s, a secret", name, ref)
			}
		}
	}
	for _, out := range c.blocksOf("output") {
		for _, ref := range references(attribute(t, out.Body, "value").Expr) {
			if secretRef(ref) {
				t.Errorf("output %q refers to %s, a secret", out.Labels[0], ref)
			}
		}
		if a, ok := out.Body.Attributes["sensitive"]; ok && literal(t, a.Expr).True() {
			t.Errorf("output %q is sensitive; no output may carry a secret", out.Labels[0])
		}
	}
}

func TestTerraformDatabaseNotPublic(t *testing.T) {
	c := loadTerraform(t)
	dbs := c.blocksOf("resource", "aws_db_instance")
	if len(dbs) == 0 {
		t.Fatal("no aws_db_instance")
	}
	for _, db := range dbs {
		a, ok := db.Body.Attributes["publicly_accessible"]
		if !ok {
			t.Errorf("aws_db_instance.%s: publicly_accessible not set, want false written out", db.Labels[1])
			continue
		}
		if got := literal(t, a.Expr); got != cty.False {
			t.Errorf("aws_db_instance.%s publicly_accessible: got %#v, want false", db.Labels[1], got)
		}
	}
}

func TestTerraformHealthChecks(t *testing.T) {
	c := loadTerraform(t)
	tg := c.resource(t, "aws_lb_target_group", "app")
	var path cty.Value
	for _, b := range tg.Body.Blocks {
		if b.Type == "health_check" {
			path = literal(t, attribute(t, b.Body, "path").Expr)
		}
	}
	if path != cty.StringVal("/api/v1/health") {
		t.Errorf("target group health_check path: got %#v, want /api/v1/health (liveness, never the database)", path)
	}

	hc := objectItems(t, c.appContainer(t)["healthCheck"])
	if got := literal(t, hc["command"]); !got.Equals(cty.TupleVal([]cty.Value{
		cty.StringVal("CMD"), cty.StringVal("/taskoverflow"), cty.StringVal("healthcheck"),
	})).True() {
		t.Errorf("container healthCheck command: got %#v, want [CMD /taskoverflow healthcheck]", got)
	}
}

func TestTerraformLogs(t *testing.T) {
	c := loadTerraform(t)
	logs := objectItems(t, c.appContainer(t)["logConfiguration"])
	if got := literal(t, logs["logDriver"]); got != cty.StringVal("awslogs") {
		t.Errorf("logDriver: got %#v, want awslogs", got)
	}
	opts := objectItems(t, logs["options"])
	if got := reference(opts["awslogs-group"]); !strings.HasPrefix(got, "aws_cloudwatch_log_group.") {
		t.Errorf("awslogs-group: got %q, want the log group this configuration creates", got)
	}
}

// TestTerraformSecurityGroups: only the load balancer reaches the app, only the app reaches
// Postgres and Redis.
func TestTerraformSecurityGroups(t *testing.T) {
	c := loadTerraform(t)
	tests := []struct {
		group, from string
	}{
		{"app", "alb"},
		{"db", "app"},
		{"redis", "app"},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			sg := c.resource(t, "aws_security_group", tt.group)
			for _, b := range sg.Body.Blocks {
				if b.Type == "ingress" {
					t.Errorf("aws_security_group.%s has an inline ingress block; rules are separate resources", tt.group)
				}
			}
			var rules int
			for _, r := range c.blocksOf("resource", "aws_vpc_security_group_ingress_rule") {
				if reference(attribute(t, r.Body, "security_group_id").Expr) != "aws_security_group."+tt.group+".id" {
					continue
				}
				rules++
				src, ok := r.Body.Attributes["referenced_security_group_id"]
				if !ok || reference(src.Expr) != "aws_security_group."+tt.from+".id" {
					t.Errorf("ingress rule %s into %s: want it from aws_security_group.%s only", r.Labels[1], tt.group, tt.from)
				}
				for _, open := range []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} {
					if _, ok := r.Body.Attributes[open]; ok {
						t.Errorf("ingress rule %s into %s sets %s, want only the %s group", r.Labels[1], tt.group, open, tt.from)
					}
				}
			}
			if rules == 0 {
				t.Errorf("no ingress rule into %s; want one from %s", tt.group, tt.from)
			}
		})
	}
}

func TestTerraformVariables(t *testing.T) {
	c := loadTerraform(t)
	vars := map[string]*hclsyntax.Block{}
	for _, v := range c.blocksOf("variable") {
		name := v.Labels[0]
		vars[name] = v
		if _, ok := v.Body.Attributes["type"]; !ok {
			t.Errorf("variable %s has no type", name)
		}
		d, ok := v.Body.Attributes["description"]
		if !ok || literal(t, d.Expr).AsString() == "" {
			t.Errorf("variable %s has no description", name)
		}
	}
	tests := []struct {
		name string
		want cty.Value
	}{
		// The practical's task size, whose fix the description documents.
		{"task_cpu", cty.NumberIntVal(1024)},
		{"task_memory", cty.NumberIntVal(2048)},
		// Learner Lab cannot create roles.
		{"use_existing_iam_role_name", cty.StringVal("LabRole")},
	}
	for _, tt := range tests {
		v, ok := vars[tt.name]
		if !ok {
			t.Errorf("variable %s missing", tt.name)
			continue
		}
		if got := literal(t, attribute(t, v.Body, "default").Expr); !got.Equals(tt.want).True() {
			t.Errorf("variable %s default: got %#v, want %#v", tt.name, got, tt.want)
		}
	}
	if d := literal(t, attribute(t, vars["task_cpu"].Body, "description").Expr).AsString(); !strings.Contains(d, "4096") {
		t.Errorf("task_cpu description %q: want it to document the 4 vCPU (4096) fix", d)
	}
}

func TestTerraformProviderPinned(t *testing.T) {
	c := loadTerraform(t)
	var version cty.Value
	for _, tb := range c.blocksOf("terraform") {
		for _, b := range tb.Body.Blocks {
			if b.Type == "required_providers" {
				if aws, ok := b.Body.Attributes["aws"]; ok {
					version = literal(t, objectItems(t, aws.Expr)["version"])
				}
			}
		}
	}
	if version != cty.StringVal("~> 5.0") {
		t.Errorf("aws provider version: got %#v, want ~> 5.0", version)
	}
}

func TestTerraformAutoscaling(t *testing.T) {
	c := loadTerraform(t)
	var cpu bool
	for _, p := range c.blocksOf("resource", "aws_appautoscaling_policy") {
		if literal(t, attribute(t, p.Body, "policy_type").Expr) != cty.StringVal("TargetTrackingScaling") {
			continue
		}
		for _, cfg := range p.Body.Blocks {
			for _, m := range cfg.Body.Blocks {
				if m.Type == "predefined_metric_specification" &&
					literal(t, attribute(t, m.Body, "predefined_metric_type").Expr) == cty.StringVal("ECSServiceAverageCPUUtilization") {
					cpu = true
				}
			}
		}
	}
	if !cpu {
		t.Error("no target-tracking policy on ECSServiceAverageCPUUtilization")
	}
}

func TestTerraformOutputs(t *testing.T) {
	c := loadTerraform(t)
	var got []string
	for _, o := range c.blocksOf("output") {
		got = append(got, o.Labels[0])
	}
	for _, want := range []string{"endpoint", "log_group", "region"} {
		if !slices.Contains(got, want) {
			t.Errorf("outputs: got %v, want %s among them", got, want)
		}
	}
}

// TestTerraformLoadGenerator: the load generator is off by default and, when on, is a task
// definition of one loadtest container logging to its own group, run with the app's roles (so
// LabRole works), and a results bucket that is private, encrypted and expires old runs.
func TestTerraformLoadGenerator(t *testing.T) {
	c := loadTerraform(t)
	var enabled *hclsyntax.Block
	for _, v := range c.blocksOf("variable", "loadgen_enabled") {
		enabled = v
	}
	if enabled == nil {
		t.Fatal("no variable loadgen_enabled")
	}
	if got := literal(t, attribute(t, enabled.Body, "default").Expr); got != cty.False {
		t.Errorf("loadgen_enabled default: got %#v, want false (the load generator costs nothing unless asked for)", got)
	}
	// Every load-generator resource exists only when enabled.
	for _, b := range c.blocksOf("resource") {
		if !strings.Contains(b.Labels[0]+"."+b.Labels[1], "loadgen") && b.Labels[1] != "results" {
			continue
		}
		count, ok := b.Body.Attributes["count"]
		if !ok || !slices.ContainsFunc(references(count.Expr), func(r string) bool { return r == "local.loadgen_count" }) {
			t.Errorf("resource %s.%s: want count from local.loadgen_count (off unless loadgen_enabled)", b.Labels[0], b.Labels[1])
		}
	}

	td := c.resource(t, "aws_ecs_task_definition", "loadgen")
	for attr, want := range map[string]string{"execution_role_arn": "local.execution_role_arn", "task_role_arn": "local.task_role_arn"} {
		if got := reference(attribute(t, td.Body, attr).Expr); got != want {
			t.Errorf("loadgen task %s: got %s, want %s (LabRole when use_existing_iam_role_name is set)", attr, got, want)
		}
	}
	call := attribute(t, td.Body, "container_definitions").Expr.(*hclsyntax.FunctionCallExpr)
	list := call.Args[0].(*hclsyntax.TupleConsExpr)
	if len(list.Exprs) != 1 {
		t.Fatalf("loadgen task: %d containers, want 1", len(list.Exprs))
	}
	items := objectItems(t, list.Exprs[0])
	if got := reference(items["name"]); got != "local.loadgen_container" {
		t.Errorf("loadgen container name: got %s, want local.loadgen_container (the output deploy loadtest reads)", got)
	}
	if got := literal(t, c.local(t, "loadgen_container")); got != cty.StringVal("loadtest") {
		t.Errorf("local.loadgen_container: got %#v, want \"loadtest\"", got)
	}
	if _, ok := items["command"]; ok {
		t.Error("loadgen container has a command: deploy loadtest sets it per shard")
	}
	logs := objectItems(t, objectItems(t, items["logConfiguration"])["options"])
	if got := reference(logs["awslogs-group"]); got != "aws_cloudwatch_log_group.loadgen.name" {
		t.Errorf("loadgen logs go to %s, want aws_cloudwatch_log_group.loadgen[0].name", got)
	}
	img, ok := c.local(t, "loadgen_image").(*hclsyntax.ConditionalExpr)
	if !ok || shape(img.FalseResult) != "X:loadtest" || !slices.Contains(references(img.FalseResult), "aws_ecr_repository.app.repository_url") {
		t.Errorf("local.loadgen_image: want var.loadgen_image, else the app repository's :loadtest tag (docker build --target loadtest)")
	}

	// The bucket: public access blocked in all four ways, encrypted, runs expire.
	pab := c.resource(t, "aws_s3_bucket_public_access_block", "results")
	for _, a := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
		if got := literal(t, attribute(t, pab.Body, a).Expr); got != cty.True {
			t.Errorf("results bucket %s: got %#v, want true", a, got)
		}
	}
	var sse string
	for _, r := range c.resource(t, "aws_s3_bucket_server_side_encryption_configuration", "results").Body.Blocks {
		for _, d := range r.Body.Blocks {
			if d.Type == "apply_server_side_encryption_by_default" {
				sse = literal(t, attribute(t, d.Body, "sse_algorithm").Expr).AsString()
			}
		}
	}
	if sse != "AES256" && sse != "aws:kms" {
		t.Errorf("results bucket encryption: got %q, want AES256 or aws:kms", sse)
	}
	var expires bool
	for _, r := range c.resource(t, "aws_s3_bucket_lifecycle_configuration", "results").Body.Blocks {
		if literal(t, attribute(t, r.Body, "status").Expr) != cty.StringVal("Enabled") {
			continue
		}
		for _, e := range r.Body.Blocks {
			if e.Type == "expiration" && reference(attribute(t, e.Body, "days").Expr) == "var.loadgen_results_expiry_days" {
				expires = true
			}
		}
	}
	if !expires {
		t.Error("results bucket: no enabled lifecycle rule expiring runs after var.loadgen_results_expiry_days")
	}
	if _, ok := c.resource(t, "aws_s3_bucket", "results").Body.Attributes["acl"]; ok {
		t.Error("results bucket sets an acl: ownership is enforced, access goes through presigned URLs")
	}

	// The security group lets nothing in.
	for _, b := range c.blocksOf("resource", "aws_vpc_security_group_ingress_rule") {
		if sg, ok := b.Body.Attributes["security_group_id"]; ok && strings.Contains(reference(sg.Expr), "loadgen") {
			t.Errorf("ingress rule %s opens the load generator's security group", b.Labels[1])
		}
	}

	// deploy loadtest reads these outputs.
	var outs []string
	for _, o := range c.blocksOf("output") {
		outs = append(outs, o.Labels[0])
	}
	for _, want := range []string{"ecs_cluster", "region", "endpoint", "loadgen_task_definition", "loadgen_container", "loadgen_bucket", "loadgen_subnets", "loadgen_security_group"} {
		if !slices.Contains(outs, want) {
			t.Errorf("outputs: no %s (deploy loadtest reads it)", want)
		}
	}
}
