// One workflow step on a warning: POST /api/v1/publish-warnings/:id/<action>, with the
// confirmations the steps that reach people need (签发: the message goes out and the 30-minute
// clock starts; 解除: every recipient reached gets the cancellation notice) and the reason
// that 退回 and 解除 require. Resolves to the server's answer (the warning; for 更新 the new
// draft), or null when the user stepped back or the server refused (shown as a message).
import { ElMessage, ElMessageBox } from 'element-plus'
import { api } from '../api.js'
import { levelLabel } from './publish-common.js'

async function askReason(a, w) {
  const r = await ElMessageBox.prompt(
    a.action === 'cancel' ? `解除后，已收到“${w.headline}”的全部对象将收到解除通知，并停止后续叫应和升级。` : `将“${w.headline}”退回起草人修改。`,
    a.action === 'cancel' ? '解除预警' : '退回',
    {
      confirmButtonText: a.action === 'cancel' ? '确认解除' : '退回',
      cancelButtonText: '取消',
      inputPlaceholder: a.reason + '（必填）',
      inputValidator: (v) => (!!(v && v.trim()) || '请填写' + a.reason),
      type: a.action === 'cancel' ? 'warning' : undefined,
      customClass: 'publish-reason-box',
    },
  )
  return ((r && r.value) || '').trim()
}

export async function runWarningAction(w, a) {
  const body = {}
  try {
    if (a.action === 'issue') {
      await ElMessageBox.confirm(
        `签发后，将立即按预警范围向责任人、AB岗、特殊群体帮扶人发送“${w.headline}”（${levelLabel(w.level)}），并开始 30 分钟叫应计时。确定签发吗？`,
        '签发预警',
        { type: 'warning', confirmButtonText: '确认签发', cancelButtonText: '取消', customClass: 'publish-confirm-box' },
      )
    } else if (a.reason) {
      body.reason = await askReason(a, w)
    } else if (a.action === 'update') {
      await ElMessageBox.confirm(`将以“${w.headline}”为底稿新建一条更新预警草稿，签发后替代原预警。`, '更新预警', {
        confirmButtonText: '新建更新草稿',
        cancelButtonText: '取消',
      })
    }
  } catch {
    return null
  }
  try {
    const out = await api.post(`publish-warnings/${encodeURIComponent(w.id)}/${a.action}`, body)
    const done = { submit: '已提交审核', approve: '已审核通过', return: '已退回', issue: '已签发，正在发送', cancel: '已解除', update: '已新建更新草稿' }
    ElMessage.success(done[a.action] || '已办理')
    return out || { id: w.id }
  } catch (e) {
    const f = Object.values(e.fields || {}).join('；')
    ElMessage.error(e.message + (f ? '：' + f : ''))
    return null
  }
}
