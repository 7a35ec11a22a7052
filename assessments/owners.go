package assessments

import "sync"

// owners remembers which organisation each recently seen assessment
// belongs to. An assessment never changes organisation (nothing updates
// assessments.organisation_id, and an organisation with assessments cannot
// be deleted), so what was read once stays true: Visible answers the
// access check of every autosave without a read. A deleted assessment
// may still be remembered; the read or write that follows finds it gone.
type owners struct {
	mu  sync.RWMutex
	org map[uint]uint // assessment → organisation
}

// maxOwners bounds the memory (16 bytes and a map slot an entry); when
// full, it starts again.
const maxOwners = 1 << 16

func (o *owners) get(id uint) (uint, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	org, ok := o.org[id]
	return org, ok
}

func (o *owners) put(id, org uint) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.org == nil || len(o.org) >= maxOwners {
		o.org = map[uint]uint{}
	}
	o.org[id] = org
}
