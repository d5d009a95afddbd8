package main
import (
 _ "github.com/mark3labs/mcp-go/server"
 _ "github.com/mark3labs/mcp-go/client"
 _ "github.com/go-chi/chi/v5"
 _ "github.com/coreos/go-oidc/v3/oidc"
 _ "golang.org/x/oauth2/clientcredentials"
 _ "golang.org/x/sync/singleflight"
 _ "golang.org/x/time/rate"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "go.yaml.in/yaml/v3"
 _ "github.com/go-jose/go-jose/v4"
 _ "github.com/hashicorp/golang-lru/v2"
)
func main(){}
