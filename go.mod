module github.com/splx-ai/splx-probe-action

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/sethvargo/go-envconfig v1.4.3
	github.com/sethvargo/go-githubactions v1.4.0
)
