package assessments

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// CreatePostgresDatabase creates a fresh, empty database on the server of
// adminURL (a postgres:// URL of a role that may create databases) and
// returns its URL and a function that drops it. Tests and the load test
// use it to work on a database of their own.
func CreatePostgresDatabase(ctx context.Context, adminURL, prefix string) (string, func(context.Context) error, error) {
	u, err := url.Parse(adminURL)
	if err != nil || !IsPostgres(adminURL) {
		return "", nil, fmt.Errorf("not a postgres:// URL: %q", adminURL)
	}
	name := prefix + "_" + strings.ToLower(rand.Text()[:12])
	admin, err := gorm.Open(postgres.Open(adminURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return "", nil, err
	}
	sqlDB, _ := admin.DB()
	defer sqlDB.Close()
	// The name is ours (letters and digits), safe to put in the statement.
	if err := admin.WithContext(ctx).Exec("CREATE DATABASE " + name).Error; err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	drop := func(ctx context.Context) error {
		admin, err := gorm.Open(postgres.Open(adminURL), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			return err
		}
		sqlDB, _ := admin.DB()
		defer sqlDB.Close()
		return admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
	}
	return u.String(), drop, nil
}
